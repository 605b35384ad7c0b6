-- Tenants and their API keys.
-- Tenant ids are the strings carried in the Aether-Tenant header and in
-- CreateVm.tenant, so they are short, lower-case and URL-safe.

CREATE TABLE tenants (
  id           text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  display_name text NOT NULL DEFAULT '',
  max_vms      integer CHECK (max_vms >= 0),  -- NULL: the platform default quota
  created_at   timestamptz NOT NULL DEFAULT now(),
  disabled_at  timestamptz                     -- set: every key of the tenant is refused
);

-- Only a hash of each key is stored. Keys are long random strings, so one
-- sha256 is enough (no slow password hash needed); `prefix` is the public
-- first part of the key ("ak_3f9c2b1e"), shown in listings and used to find
-- the row before comparing hashes in constant time.
CREATE TABLE api_keys (
  id           uuid PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  prefix       text NOT NULL CHECK (length(prefix) BETWEEN 8 AND 32),
  key_sha256   text NOT NULL CHECK (key_sha256 ~ '^[0-9a-f]{64}$'),
  name         text NOT NULL DEFAULT '',
  scopes       text[] NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz,
  last_used_at timestamptz,
  revoked_at   timestamptz
);

-- Authentication: WHERE prefix = $1 (one row at most).
CREATE UNIQUE INDEX api_keys_prefix_key ON api_keys (prefix);
-- Key management: a tenant's keys, newest first.
CREATE INDEX api_keys_tenant_created_idx ON api_keys (tenant_id, created_at DESC);
