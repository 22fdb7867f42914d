-- Custom modules and fields per org, as SQLite's 003_org_schemas.sql: the org's schema document (JSON
-- text, validated by domain/org-schema.ts before it is stored) and a version that grows with every apply.
CREATE TABLE org_schemas (
  org_id text PRIMARY KEY REFERENCES orgs (id),
  document text NOT NULL,
  version bigint NOT NULL,
  updated_at bigint NOT NULL
);
