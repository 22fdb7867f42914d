-- Token limits and revocation (Zoho's accounts rules): when each access token was issued (NULL for
-- tokens stored before this migration: they count as issued long ago), and indexes for counting a
-- refresh token's access tokens and a user's refresh tokens per client.
ALTER TABLE access_tokens ADD COLUMN issued_at INTEGER;
CREATE INDEX access_tokens_refresh ON access_tokens (refresh_token_hash, issued_at);
CREATE INDEX refresh_tokens_owner ON refresh_tokens (client_id, user_id, created_at);
