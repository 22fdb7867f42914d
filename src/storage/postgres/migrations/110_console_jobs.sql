-- The console lists every org's jobs newest first, a page at a time after the last one shown
-- ((created_at, id) below it): this index serves that walk without sorting the whole table.
CREATE INDEX jobs_newest ON jobs (created_at, id);
