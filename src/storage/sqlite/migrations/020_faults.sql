-- Fault rules of the emulator (docs/admin-api.md, "Faults"), shared by every process of the store.
-- effect: JSON of the rule's one effect (domain/faults.ts FaultEffect). remaining: firings left, NULL for
-- unlimited; hits: how many times it fired. rowid is creation order (the order rules are tried in).
CREATE TABLE fault_rules (
  id TEXT PRIMARY KEY,
  org_id TEXT,
  route TEXT,
  method TEXT,
  job_id TEXT,
  times INTEGER,
  remaining INTEGER,
  probability REAL,
  effect TEXT NOT NULL,
  hits INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
-- Job effects bound to a job (when it is created, or by a rule naming it): effect is JSON of a JobEffect;
-- held = 1 keeps the job ADDED (jobs are not claimed while one of their rows is held).
CREATE TABLE fault_jobs (
  job_id TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  effect TEXT NOT NULL,
  held INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, rule_id)
);
CREATE INDEX fault_jobs_rule ON fault_jobs (rule_id);
