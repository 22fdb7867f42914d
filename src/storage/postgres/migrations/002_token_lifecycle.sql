-- Token limits and revocation, as SQLite's 002_token_lifecycle.sql: when each access token was issued
-- (NULL for tokens stored before this migration: they count as issued long ago), and indexes for counting
-- a refresh token's access tokens and a user's refresh tokens per client.
ALTER TABLE access_tokens ADD COLUMN issued_at bigint;

-- seq stands in for SQLite's rowid: the tie-break on equal issued_at / created_at when pruning keeps the
-- newest tokens. Rows already stored are numbered as they are found, which is as good an order as any.
ALTER TABLE access_tokens ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE refresh_tokens ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;

CREATE INDEX access_tokens_refresh ON access_tokens (refresh_token_hash, issued_at);
CREATE INDEX refresh_tokens_owner ON refresh_tokens (client_id, user_id, created_at, seq);
