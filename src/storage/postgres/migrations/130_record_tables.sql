-- Records move to a table per (org, module), made on demand (core/record-tables.ts): its primary key
-- is the listing order (no records_module index), and each unique field's key is a column of it with a
-- UNIQUE index (no record_keys). This registry names each module's table and its key columns; table
-- names are numbered from id_sequence and never reused.
CREATE TABLE record_tables (
  org_id text NOT NULL,
  module text NOT NULL,
  table_name text NOT NULL UNIQUE,
  -- JSON array of field API names: key column k{i} holds the key of the i-th.
  key_fields text NOT NULL,
  PRIMARY KEY (org_id, module)
);

INSERT INTO id_sequence (name, next) VALUES ('record_tables', 1);

-- The rows of records and record_keys are moved into those tables, and both dropped, by this
-- migration's code step (postgres/migrate.ts, convertRecords), in the migrations' transaction.
