-- Retention (jobs/janitor.ts): when a finished job's result zip and row outcomes were removed (NULL:
-- still kept), and the indexes the janitor reads expired files and finished jobs by.
ALTER TABLE jobs ADD COLUMN results_purged_at bigint;
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX files_created ON files (created_at);
