-- Pause and resume: the states PAUSING, PAUSED and RESUMING (VmState 9..11).
-- A paused VM stays live (it still counts against its tenant's quotas: resume
-- takes its room back), so the partial indexes on live VMs are unchanged.
ALTER TABLE vms DROP CONSTRAINT vms_state_check;
ALTER TABLE vms ADD CONSTRAINT vms_state_check
  CHECK (state IN ('PENDING', 'SCHEDULED', 'BOOTING', 'READY', 'STOPPING', 'STOPPED', 'DELETED',
                   'FAILED', 'PAUSING', 'PAUSED', 'RESUMING'));
