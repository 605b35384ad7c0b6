-- The api's projection of VM state, and the VmEvents it is built from.
--
-- Events come from JetStream stream AETHER_EVENTS; each is stored under its
-- stream sequence, so replaying the stream changes nothing:
--   INSERT INTO vm_events (...) VALUES (...) ON CONFLICT (stream_seq) DO NOTHING;
--   INSERT INTO vms (...) VALUES (...) ON CONFLICT (id) DO UPDATE SET ...
--     WHERE vms.last_event_seq < EXCLUDED.last_event_seq;
-- No foreign keys from here to tenants or between the two tables: the
-- projection must never stall on an event that arrives before its parent row,
-- and a deleted tenant keeps its history.
-- States are text with a CHECK rather than an enum type: adding a state later
-- is a plain transactional migration (drop and re-add the constraint).

CREATE TABLE vms (
  id             uuid PRIMARY KEY,  -- assigned by the publisher of CreateVm (UUIDv7)
  tenant_id      text NOT NULL,
  state          text NOT NULL CHECK (state IN ('PENDING', 'SCHEDULED', 'BOOTING', 'READY',
                                                 'STOPPING', 'STOPPED', 'DELETED', 'FAILED')),
  spec           jsonb NOT NULL DEFAULT '{}',  -- VmSpec in proto3 JSON
  worker_id      text,
  node           text,
  runtime        text,      -- 'qemu' | 'firecracker'
  accelerated    boolean,   -- KVM (true) or emulation (false)
  reason         text,      -- why, always set for FAILED
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  ready_at       timestamptz,
  last_event_seq bigint NOT NULL DEFAULT 0 CHECK (last_event_seq >= 0)
);

-- GET /v1/vms: a tenant's VMs newest first, keyset-paginated on (created_at, id).
CREATE INDEX vms_tenant_created_idx ON vms (tenant_id, created_at DESC, id DESC);
-- Live VMs by state (quota counts, stuck BOOTING reaper, autoscaler demand);
-- finished VMs are the bulk of the table and never queried by state.
CREATE INDEX vms_live_state_idx ON vms (state, updated_at)
  WHERE state NOT IN ('STOPPED', 'DELETED', 'FAILED');
-- A vanished worker's or drained node's VMs, to mark them failed.
CREATE INDEX vms_live_worker_idx ON vms (worker_id)
  WHERE state NOT IN ('STOPPED', 'DELETED', 'FAILED');
CREATE INDEX vms_live_node_idx ON vms (node)
  WHERE state NOT IN ('STOPPED', 'DELETED', 'FAILED');

CREATE TABLE vm_events (
  stream_seq     bigint PRIMARY KEY CHECK (stream_seq > 0),  -- AETHER_EVENTS sequence
  vm_id          uuid NOT NULL,
  tenant_id      text NOT NULL,
  state          text NOT NULL,
  previous_state text,
  reason         text,
  worker_id      text,
  node           text,
  at             timestamptz NOT NULL,  -- when the transition happened (event time)
  recorded_at    timestamptz NOT NULL DEFAULT now(),
  traceparent    text,
  payload        jsonb  -- the whole VmEvent in proto3 JSON, for audit
);

-- GET /v1/vms/{id}/events: one VM's history in stream order.
CREATE INDEX vm_events_vm_seq_idx ON vm_events (vm_id, stream_seq);
-- Retention: delete old events in batches by time.
CREATE INDEX vm_events_recorded_at_idx ON vm_events (recorded_at);
