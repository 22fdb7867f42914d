-- Zoho's Bulk Read download limit (docs/bulk-read.md, "Download limit"; an org limit of the admin API):
-- each org's bulk read result downloads, counted per millisecond of the emulator clock, so a sliding
-- minute is one sum. Rows older than the window are deleted as new ones come.
CREATE TABLE read_downloads (
  org_id TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (org_id, at_ms)
) WITHOUT ROWID;
