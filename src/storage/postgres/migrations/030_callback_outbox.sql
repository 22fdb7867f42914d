-- Callbacks kept in the store (docs/callbacks.md#delivery): a job's outbox row is written in the
-- transaction that finishes the job, so a callback survives a crash between completion and delivery.
-- Any worker delivers it; the lease keeps two workers from sending it at once, and an expired lease
-- (the sender died) lets another send it again: at least once.
CREATE TABLE callback_outbox (
  job_id text PRIMARY KEY,
  org_id text NOT NULL,
  url text NOT NULL,
  state text NOT NULL DEFAULT 'pending', -- pending, delivered, failed
  attempts integer NOT NULL DEFAULT 0,
  due_at bigint NOT NULL,
  lease_owner text,
  lease_expires_at bigint,
  created_at bigint NOT NULL,
  finished_at bigint
);
CREATE INDEX callback_outbox_due ON callback_outbox (state, due_at);

-- Every attempt, as it ended: the callback journal (GET /_bulkwrite/callbacks).
CREATE TABLE callback_attempts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id text NOT NULL,
  job_id text NOT NULL,
  url text NOT NULL,
  method text NOT NULL,
  attempt integer NOT NULL,
  sent_at bigint NOT NULL,
  status_code integer,
  error text,
  body text NOT NULL
);
CREATE INDEX callback_attempts_job ON callback_attempts (org_id, job_id, id);
