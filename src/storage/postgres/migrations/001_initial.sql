-- The same tables as SQLite's 001_initial.sql, in PostgreSQL types.
-- Times are epoch milliseconds (bigint). Ids are decimal strings at the interface and text here, so a
-- lookup by an id a CSV row made up (not digits) is a miss, not an error. Key columns use COLLATE "C":
-- byte order and byte equality, as in SQLite, and cheaper comparisons in the big unique indexes.
-- seq columns stand in for SQLite's rowid where "oldest first" needs a tie-break on equal created_at.

CREATE TABLE id_sequence (
  name text PRIMARY KEY,
  next bigint NOT NULL
);
INSERT INTO id_sequence (name, next) VALUES ('main', 4150868000000100000);

CREATE TABLE orgs (
  id text PRIMARY KEY,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  name text NOT NULL,
  time_zone text NOT NULL,
  created_at bigint NOT NULL
);
CREATE INDEX orgs_age ON orgs (created_at, seq);

CREATE TABLE users (
  org_id text NOT NULL REFERENCES orgs (id),
  id text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  name text NOT NULL,
  email text NOT NULL,
  PRIMARY KEY (org_id, id)
);
CREATE INDEX users_email ON users (org_id, lower(email));

CREATE TABLE oauth_clients (
  client_id text PRIMARY KEY,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  org_id text NOT NULL REFERENCES orgs (id),
  client_secret text NOT NULL,
  client_type text NOT NULL,
  redirect_uri text,
  name text NOT NULL,
  created_at bigint NOT NULL
);
CREATE INDEX oauth_clients_org ON oauth_clients (org_id, created_at, seq);

CREATE TABLE grant_codes (
  code_hash text PRIMARY KEY,
  client_id text NOT NULL,
  org_id text NOT NULL,
  user_id text NOT NULL,
  scopes text[] NOT NULL,
  expires_at bigint NOT NULL,
  used_at bigint
);

CREATE TABLE refresh_tokens (
  token_hash text PRIMARY KEY,
  client_id text NOT NULL,
  org_id text NOT NULL,
  user_id text NOT NULL,
  scopes text[] NOT NULL,
  created_at bigint NOT NULL,
  revoked_at bigint
);

CREATE TABLE access_tokens (
  token_hash text PRIMARY KEY,
  refresh_token_hash text,
  client_id text NOT NULL,
  org_id text NOT NULL,
  user_id text NOT NULL,
  scopes text[] NOT NULL,
  expires_at bigint NOT NULL,
  revoked_at bigint
);

CREATE TABLE files (
  org_id text NOT NULL,
  id text NOT NULL,
  name text NOT NULL,
  csv_name text NOT NULL,
  size bigint NOT NULL,
  blob_key text NOT NULL,
  header json NOT NULL,
  delimiter text NOT NULL,
  row_count integer NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (org_id, id)
);

-- spec and created_by are json, not jsonb: they come back exactly as written (key order included),
-- as from SQLite, and nothing queries inside them.
CREATE TABLE jobs (
  id text PRIMARY KEY,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  org_id text NOT NULL,
  api_version text NOT NULL,
  spec json NOT NULL,
  status text NOT NULL,
  created_at bigint NOT NULL,
  created_by json NOT NULL,
  file_name text NOT NULL,
  added integer NOT NULL DEFAULT 0,
  updated integer NOT NULL DEFAULT 0,
  skipped integer NOT NULL DEFAULT 0,
  checkpoint_row integer NOT NULL DEFAULT 0,
  failure_code text,
  failure_message text,
  result_ready boolean NOT NULL DEFAULT false,
  finished_at bigint,
  lease_owner text,
  lease_expires_at bigint
);
CREATE INDEX jobs_org ON jobs (org_id, created_at, seq);
-- The queue: only unfinished jobs, so it stays small however many jobs have ever run.
CREATE INDEX jobs_queue ON jobs (created_at, seq) WHERE status IN ('ADDED', 'INPROGRESS');

CREATE TABLE job_results (
  job_id text NOT NULL,
  row_no integer NOT NULL,
  status text NOT NULL,
  record_id text,
  errors text,
  PRIMARY KEY (job_id, row_no)
);

-- data is json (text kept verbatim: field order and all), not jsonb: it is never queried inside (unique
-- keys live in record_keys), and json is cheaper to write in bulk.
CREATE TABLE records (
  id text COLLATE "C" PRIMARY KEY,
  org_id text NOT NULL,
  module text NOT NULL,
  data json NOT NULL,
  created_at bigint NOT NULL,
  modified_at bigint NOT NULL
);
CREATE INDEX records_module ON records (org_id, module, created_at, id);

CREATE TABLE record_keys (
  org_id text NOT NULL,
  module text NOT NULL,
  field text COLLATE "C" NOT NULL,
  value text COLLATE "C" NOT NULL,
  record_id text NOT NULL,
  PRIMARY KEY (org_id, module, field, value)
);
