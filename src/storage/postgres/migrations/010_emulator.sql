-- The same tables as SQLite's 010_emulator.sql: the shared emulator clock (offset from real time, ms),
-- per-org limits (JSON text) and credits spent per minute of the emulator clock.
CREATE TABLE emulator_clock (
  id integer PRIMARY KEY CHECK (id = 1),
  offset_ms bigint NOT NULL
);
INSERT INTO emulator_clock (id, offset_ms) VALUES (1, 0);

CREATE TABLE org_limits (
  org_id text PRIMARY KEY,
  settings text NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE org_credits (
  org_id text NOT NULL,
  minute bigint NOT NULL,
  used bigint NOT NULL,
  PRIMARY KEY (org_id, minute)
);
