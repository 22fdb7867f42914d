-- Bulk read jobs (docs/bulk-read.md) share the jobs table and its queue: their query is in `spec`
-- (operation "read"), and a finished one's page is here as JSON {"count", "moreRecords"}; NULL for write jobs.
ALTER TABLE jobs ADD COLUMN read_result TEXT;
