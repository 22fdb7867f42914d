-- Fault rules of the emulator (docs/admin-api.md, "Faults"), shared by every process of the store.
-- effect: JSON of the rule's one effect (domain/faults.ts FaultEffect). remaining: firings left, NULL for
-- unlimited; hits: how many times it fired. seq is creation order (the order rules are tried in).
CREATE TABLE fault_rules (
  id text PRIMARY KEY,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  org_id text,
  route text,
  method text,
  job_id text,
  times bigint,
  remaining bigint,
  probability double precision,
  effect json NOT NULL,
  hits bigint NOT NULL DEFAULT 0,
  created_at bigint NOT NULL
);
-- Job effects bound to a job (when it is created, or by a rule naming it): effect is JSON of a JobEffect;
-- held keeps the job ADDED (jobs are not claimed while one of their rows is held).
CREATE TABLE fault_jobs (
  job_id text NOT NULL,
  rule_id text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  effect json NOT NULL,
  held boolean NOT NULL DEFAULT false,
  PRIMARY KEY (job_id, rule_id)
);
CREATE INDEX fault_jobs_rule ON fault_jobs (rule_id);
