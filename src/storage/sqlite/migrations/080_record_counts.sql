-- How many records each (org, module) holds, kept by the chunk commits that insert them (records are
-- never deleted). The records API reads it instead of counting the module's index (a million entries),
-- and keeps its page positions (core/record-pages.ts) only while it is unchanged.
CREATE TABLE record_counts (
  org_id TEXT NOT NULL,
  module TEXT NOT NULL,
  records INTEGER NOT NULL,
  PRIMARY KEY (org_id, module)
) WITHOUT ROWID;

INSERT INTO record_counts (org_id, module, records)
SELECT org_id, module, count(*) FROM records GROUP BY org_id, module;
