-- The records API lists a module's records in id order, as SQLite does (its records_module index is
-- (org_id, module, id)); this index was (org_id, module, created_at, id) for an order by creation time.
-- Ids are all 19 digits (reserveIds starts at 4150868000000100000 and stays below 2^63), so their
-- byte order (COLLATE "C") is their numeric order.
DROP INDEX records_module;
CREATE INDEX records_module ON records (org_id, module, id);
