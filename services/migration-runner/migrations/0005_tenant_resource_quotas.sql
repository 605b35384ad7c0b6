-- Per-tenant vCPU and memory quotas beside max_vms, checked by the api before
-- it publishes a CreateVm (sums over the tenant's live VMs' specs).
-- NULL: the platform default (AETHER_API_DEFAULT_MAX_VCPUS / _MEMORY_MIB).

ALTER TABLE tenants
  ADD COLUMN max_vcpus      integer CHECK (max_vcpus >= 0),
  ADD COLUMN max_memory_mib bigint CHECK (max_memory_mib >= 0);
