-- aether:no-transaction
-- A tenant's audit trail (GET /v1/events?tenant=...), newest first. Built
-- CONCURRENTLY so that, on a live database with many events, writers are not
-- blocked while it builds; that cannot run inside a transaction, hence the
-- header above. IF NOT EXISTS makes a retry after an interrupted run safe
-- (an interrupted CONCURRENTLY build leaves an INVALID index: drop it by hand
-- before retrying, see the README).
CREATE INDEX CONCURRENTLY IF NOT EXISTS vm_events_tenant_at_idx
  ON vm_events (tenant_id, at DESC);
