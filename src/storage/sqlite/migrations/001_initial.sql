CREATE TABLE id_sequence (
  name TEXT PRIMARY KEY,
  next INTEGER NOT NULL
);
INSERT INTO id_sequence (name, next) VALUES ('main', 4150868000000100000);

CREATE TABLE orgs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE users (
  org_id TEXT NOT NULL REFERENCES orgs (id),
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  PRIMARY KEY (org_id, id)
);
CREATE INDEX users_email ON users (org_id, email);

CREATE TABLE oauth_clients (
  client_id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs (id),
  client_secret TEXT NOT NULL,
  client_type TEXT NOT NULL,
  redirect_uri TEXT,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE grant_codes (
  code_hash TEXT PRIMARY KEY,
  client_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  scopes TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);

CREATE TABLE refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  client_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);

CREATE TABLE access_tokens (
  token_hash TEXT PRIMARY KEY,
  refresh_token_hash TEXT,
  client_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  scopes TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER
);

CREATE TABLE files (
  org_id TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  csv_name TEXT NOT NULL,
  size INTEGER NOT NULL,
  blob_key TEXT NOT NULL,
  header TEXT NOT NULL,
  delimiter TEXT NOT NULL,
  row_count INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (org_id, id)
);

CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  api_version TEXT NOT NULL,
  spec TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  file_name TEXT NOT NULL,
  added INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL DEFAULT 0,
  skipped INTEGER NOT NULL DEFAULT 0,
  checkpoint_row INTEGER NOT NULL DEFAULT 0,
  failure_code TEXT,
  failure_message TEXT,
  result_ready INTEGER NOT NULL DEFAULT 0,
  finished_at INTEGER,
  lease_owner TEXT,
  lease_expires_at INTEGER
);
CREATE INDEX jobs_org ON jobs (org_id, created_at);
CREATE INDEX jobs_queue ON jobs (status, created_at);

-- Row outcomes, packed one row per committed chunk ("status\trecord_id\terrors" lines, rows
-- first_row..last_row in order): a million-row job writes 200 rows here, not a million.
CREATE TABLE job_result_chunks (
  job_id TEXT NOT NULL,
  first_row INTEGER NOT NULL,
  last_row INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (job_id, first_row)
) WITHOUT ROWID;

-- Record ids are 19-digit integers, so they are the rowid: no separate primary-key index.
CREATE TABLE records (
  id INTEGER PRIMARY KEY,
  org_id TEXT NOT NULL,
  module TEXT NOT NULL,
  data TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  modified_at INTEGER NOT NULL
);
CREATE INDEX records_module ON records (org_id, module, id);

CREATE TABLE record_keys (
  org_id TEXT NOT NULL,
  module TEXT NOT NULL,
  field TEXT NOT NULL,
  value TEXT NOT NULL,
  record_id INTEGER NOT NULL,
  PRIMARY KEY (org_id, module, field, value)
) WITHOUT ROWID;
