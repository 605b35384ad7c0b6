-- Worker nodes as the node-provisioner reports them, and the autoscaler's
-- decisions (its audit trail and cooldown memory).

CREATE TABLE nodes (
  name           text PRIMARY KEY,  -- Kubernetes node name
  state          text NOT NULL CHECK (state IN ('PROBED', 'READY', 'UNUSABLE', 'DRAINING',
                                                 'REMOVED')),
  kvm_usable     boolean NOT NULL DEFAULT false,
  runtime        text,
  reason         text,       -- e.g. why KVM is unusable
  labels         jsonb NOT NULL DEFAULT '{}',
  asset_sha256   jsonb NOT NULL DEFAULT '{}',
  first_seen_at  timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  last_event_seq bigint NOT NULL DEFAULT 0 CHECK (last_event_seq >= 0)
);

-- The autoscaler's view: nodes that exist, by state.
CREATE INDEX nodes_present_state_idx ON nodes (state) WHERE state <> 'REMOVED';

CREATE TABLE scale_decisions (
  id                  text PRIMARY KEY,  -- ScaleDecision.decision_id: a replay is a no-op
  action              text NOT NULL CHECK (action IN ('SCALE_UP', 'SCALE_DOWN', 'HOLD')),
  from_nodes          integer NOT NULL CHECK (from_nodes >= 0),
  to_nodes            integer NOT NULL CHECK (to_nodes >= 0),
  reason              text NOT NULL DEFAULT '',
  queue_backlog       bigint NOT NULL DEFAULT 0 CHECK (queue_backlog >= 0),
  capacity_used_ratio double precision,
  nodes               text[] NOT NULL DEFAULT '{}',
  leader              text NOT NULL DEFAULT '',
  decided_at          timestamptz NOT NULL,
  stream_seq          bigint UNIQUE  -- AETHER_EVENTS sequence when projected from the bus
);

-- Cooldown: the latest decision of a given action; history pages newest first.
CREATE INDEX scale_decisions_action_decided_idx ON scale_decisions (action, decided_at DESC);
CREATE INDEX scale_decisions_decided_idx ON scale_decisions (decided_at DESC);
