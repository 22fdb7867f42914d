-- Per committed chunk of a job's outcomes (job_result_chunks): how many of its rows were skipped and how
-- many rows carry each error group ("CODE-field,field", as the result's ERRORS column names them), as a
-- JSON object. Written in the chunk's transaction, so it always agrees with the chunk. The console counts
-- a job's error codes from these small rows and pages its skipped rows by reading only the chunks that
-- hold some, never the whole result. Chunks committed before this migration have none; the console
-- reads those chunks' outcomes instead.
CREATE TABLE job_result_summaries (
  job_id TEXT NOT NULL,
  first_row INTEGER NOT NULL,
  last_row INTEGER NOT NULL,
  skipped INTEGER NOT NULL,
  codes TEXT NOT NULL,
  PRIMARY KEY (job_id, first_row)
) WITHOUT ROWID;
