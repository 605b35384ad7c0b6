-- aether:no-transaction
-- Quota checks count a tenant's live VMs on every create; without this the
-- count reads every VM the tenant ever had (vms_tenant_created_idx). Built
-- CONCURRENTLY so writers are not blocked on a live database (hence the
-- header); IF NOT EXISTS makes a retry after an interrupted run safe.
CREATE INDEX CONCURRENTLY IF NOT EXISTS vms_live_tenant_idx ON vms (tenant_id)
  WHERE state NOT IN ('STOPPED', 'DELETED', 'FAILED');
