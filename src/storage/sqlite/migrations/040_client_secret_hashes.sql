-- Client secrets are kept only as their sha256 (hex), as tokens and grant codes are. A client may hold
-- several secrets: each `bulkwrite credentials` run shows a new one for the Self Client, and the ones it
-- showed before stay valid. Existing plain-text secrets are hashed here (bulkwrite_sha256_hex is a
-- function migrate.ts gives the connection) and the plain-text column is dropped; secure_delete zeroes the
-- pages that held them, so the old secrets do not stay in the file's free pages (it is off again after).
PRAGMA secure_delete = ON;
CREATE TABLE oauth_client_secrets (
  secret_hash TEXT PRIMARY KEY,
  client_id TEXT NOT NULL REFERENCES oauth_clients (client_id),
  created_at INTEGER NOT NULL
);
CREATE INDEX oauth_client_secrets_client ON oauth_client_secrets (client_id);
INSERT INTO oauth_client_secrets (secret_hash, client_id, created_at)
  SELECT bulkwrite_sha256_hex(client_secret), client_id, created_at FROM oauth_clients;
ALTER TABLE oauth_clients DROP COLUMN client_secret;
PRAGMA secure_delete = OFF;
