-- Custom modules and fields per org: the org's schema document (JSON, validated by domain/org-schema.ts
-- before it is stored) and a version that grows with every apply. Records need no DDL: they stay JSON.
CREATE TABLE org_schemas (
  org_id TEXT PRIMARY KEY REFERENCES orgs (id),
  document TEXT NOT NULL,
  version INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
