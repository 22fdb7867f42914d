-- Client secrets are kept only as their sha256 (hex), as tokens and grant codes are. A client may hold
-- several secrets: each `bulkwrite credentials` run shows a new one for the Self Client, and the ones it
-- showed before stay valid. Existing plain-text secrets are hashed here and the plain-text column is dropped.
CREATE TABLE oauth_client_secrets (
  secret_hash text COLLATE "C" PRIMARY KEY,
  client_id text NOT NULL REFERENCES oauth_clients (client_id),
  created_at bigint NOT NULL
);
CREATE INDEX oauth_client_secrets_client ON oauth_client_secrets (client_id);
INSERT INTO oauth_client_secrets (secret_hash, client_id, created_at)
  SELECT encode(sha256(convert_to(client_secret, 'UTF8')), 'hex'), client_id, created_at FROM oauth_clients;
ALTER TABLE oauth_clients DROP COLUMN client_secret;
