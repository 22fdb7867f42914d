-- Parent/child jobs (v6+): a zip may hold several CSVs, and each resource of a job counts its own rows.
-- csv_entries: JSON [{"name", "header", "delimiter", "rowCount"}] for every CSV of the zip, in zip order;
-- NULL for files uploaded before this migration (their one CSV is csv_name/header/delimiter/row_count).
ALTER TABLE files ADD COLUMN csv_entries TEXT;
-- resource_counts: JSON [{"added", "updated", "skipped"}] per resource of a parent/child job; NULL for a
-- one-resource job, whose counts are added/updated/skipped.
ALTER TABLE jobs ADD COLUMN resource_counts TEXT;
