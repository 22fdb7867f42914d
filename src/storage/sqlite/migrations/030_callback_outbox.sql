-- Callbacks kept in the store (docs/callbacks.md#delivery): a job's outbox row is written in the
-- transaction that finishes the job, so a callback survives a crash between completion and delivery.
-- Any worker delivers it; the lease keeps two workers from sending it at once, and an expired lease
-- (the sender died) lets another send it again: at least once.
CREATE TABLE callback_outbox (
  job_id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  url TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending', -- pending, delivered, failed
  attempts INTEGER NOT NULL DEFAULT 0,
  due_at INTEGER NOT NULL,
  lease_owner TEXT,
  lease_expires_at INTEGER,
  created_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX callback_outbox_due ON callback_outbox (state, due_at);

-- Every attempt, as it ended: the callback journal (GET /_bulkwrite/callbacks).
CREATE TABLE callback_attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id TEXT NOT NULL,
  job_id TEXT NOT NULL,
  url TEXT NOT NULL,
  method TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  sent_at INTEGER NOT NULL,
  status_code INTEGER,
  error TEXT,
  body TEXT NOT NULL
);
CREATE INDEX callback_attempts_job ON callback_attempts (org_id, job_id, id);
