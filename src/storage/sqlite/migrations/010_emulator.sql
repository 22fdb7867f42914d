-- The emulator controls (docs/admin-api.md). One clock for every thread and process sharing the store:
-- its offset from real time in milliseconds (0: real time). Per-org limits (JSON, off when absent) and
-- the credits spent, per minute of the emulator clock: the rolling 24-hour window sums the last 1,440.
CREATE TABLE emulator_clock (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  offset_ms INTEGER NOT NULL
);
INSERT INTO emulator_clock (id, offset_ms) VALUES (1, 0);

CREATE TABLE org_limits (
  org_id TEXT PRIMARY KEY,
  settings TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE org_credits (
  org_id TEXT NOT NULL,
  minute INTEGER NOT NULL,
  used INTEGER NOT NULL,
  PRIMARY KEY (org_id, minute)
) WITHOUT ROWID;
