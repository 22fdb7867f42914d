-- When a worker first took the job (the emulator clock, as created_at and finished_at): set by the first
-- claim and kept when another worker takes the job over after a lost lease, so the console's rows per
-- second run from the real start. Jobs claimed before this migration have none (NULL).
ALTER TABLE jobs ADD COLUMN started_at INTEGER;
