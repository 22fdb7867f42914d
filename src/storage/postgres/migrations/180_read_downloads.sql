-- The same table as SQLite's 180_read_downloads.sql: each org's bulk read result downloads per
-- millisecond of the emulator clock, for Zoho's download limit (a sliding minute is one sum).
CREATE TABLE read_downloads (
  org_id text NOT NULL,
  at_ms bigint NOT NULL,
  n integer NOT NULL,
  PRIMARY KEY (org_id, at_ms)
);
