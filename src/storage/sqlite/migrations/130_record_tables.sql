-- Records move to a table per (org, module), made on demand (core/record-tables.ts): its rowid order is
-- the listing order (no records_module index), and each unique field's key is a column of it with a
-- UNIQUE index (no record_keys). This registry names each module's table and its key columns; table
-- names are numbered from id_sequence and never reused.
CREATE TABLE record_tables (
  org_id TEXT NOT NULL,
  module TEXT NOT NULL,
  table_name TEXT NOT NULL UNIQUE,
  -- JSON array of field API names: key column k{i} holds the key of the i-th.
  key_fields TEXT NOT NULL,
  PRIMARY KEY (org_id, module)
) WITHOUT ROWID;

INSERT INTO id_sequence (name, next) VALUES ('record_tables', 1);

-- The rows of records and record_keys are moved into those tables, and both dropped, by this
-- migration's code step (sqlite/migrate.ts, convertRecords), in this migration's transaction.
