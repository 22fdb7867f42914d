import type { SharedStatement } from '../core/sql-dialect.js';

const ORG_WITH_FIRST_USER = `SELECT o.id, o.name, o.time_zone, o.created_at,
                                    u.id AS user_id, u.name AS user_name, u.email AS user_email
                             FROM orgs o
                             CROSS JOIN LATERAL (SELECT * FROM users WHERE org_id = o.id ORDER BY seq LIMIT 1) u`;

/**
 * The core's statements in PostgreSQL; `$n` is the core's n-th parameter. seq columns stand in for
 * SQLite's rowid (insertion order). Scope lists are text[] here and space-separated text at the core.
 */
export const POSTGRES_SQL: Record<SharedStatement, string> = {
  reserve: "UPDATE id_sequence SET next = next + $1::bigint WHERE name = 'main' RETURNING next - $2::bigint AS first",
  orgInsert: 'INSERT INTO orgs (id, name, time_zone, created_at) VALUES ($1, $2, $3, $4)',
  userInsert: 'INSERT INTO users (org_id, id, name, email) VALUES ($1, $2, $3, $4)',
  orgGet: `${ORG_WITH_FIRST_USER} WHERE o.id = $1`,
  orgDefault: `${ORG_WITH_FIRST_USER} ORDER BY o.created_at, o.seq LIMIT 1`,
  orgList: `${ORG_WITH_FIRST_USER} ORDER BY o.created_at, o.seq`,
  userById: 'SELECT id, name, email FROM users WHERE org_id = $1 AND id = $2',
  // Users of an org may share an address: the first one added answers.
  userByEmail: 'SELECT id, name, email FROM users WHERE org_id = $1 AND lower(email) = lower($2) ORDER BY seq LIMIT 1',
  clientInsert: `INSERT INTO oauth_clients (client_id, org_id, client_type, redirect_uri, name, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)`,
  clientSecretInsert: 'INSERT INTO oauth_client_secrets (secret_hash, client_id, created_at) VALUES ($1, $2, $3)',
  clientSecretsOf: 'SELECT secret_hash FROM oauth_client_secrets WHERE client_id = $1',
  clientGet: 'SELECT * FROM oauth_clients WHERE client_id = $1',
  clientsOf: 'SELECT * FROM oauth_clients WHERE org_id = $1 ORDER BY created_at, seq',
  grantInsert: `INSERT INTO grant_codes (code_hash, client_id, org_id, user_id, scopes, expires_at)
                VALUES ($1, $2, $3, $4, string_to_array($5, ' '), $6)`,
  // One UPDATE: the row lock makes a second consumer wait, re-check used_at and get nothing.
  grantUse: `UPDATE grant_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $3
             RETURNING code_hash, client_id, org_id, user_id, array_to_string(scopes, ' ') AS scopes, expires_at`,
  refreshInsert: `INSERT INTO refresh_tokens (token_hash, client_id, org_id, user_id, scopes, created_at)
                  VALUES ($1, $2, $3, $4, string_to_array($5, ' '), $6)`,
  refreshGet: `SELECT token_hash, client_id, org_id, user_id, array_to_string(scopes, ' ') AS scopes, created_at
               FROM refresh_tokens WHERE token_hash = $1 AND revoked_at IS NULL`,
  accessInsert: `INSERT INTO access_tokens (token_hash, refresh_token_hash, client_id, org_id, user_id, scopes, expires_at,
                                            issued_at)
                 VALUES ($1, $2, $3, $4, $5, string_to_array($6, ' '), $7, $8)`,
  accessGet: `SELECT token_hash, refresh_token_hash, client_id, org_id, user_id, array_to_string(scopes, ' ') AS scopes,
                     expires_at, issued_at
              FROM access_tokens WHERE token_hash = $1 AND expires_at > $2 AND revoked_at IS NULL`,
  accessRevoke: 'UPDATE access_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL',
  accessCountSince: 'SELECT count(*) AS n FROM access_tokens WHERE refresh_token_hash = $1 AND issued_at >= $2',
  // NULLS LAST: a token stored without issued_at counts as the oldest (SQLite sorts NULL last in DESC by
  // itself). The outer revoked_at check makes a concurrent prune's revocations not count twice.
  accessPrune: `UPDATE access_tokens SET revoked_at = $1
                WHERE revoked_at IS NULL
                  AND token_hash IN (SELECT token_hash FROM access_tokens
                                     WHERE refresh_token_hash = $2 AND revoked_at IS NULL AND expires_at > $3
                                     ORDER BY issued_at DESC NULLS LAST, seq DESC OFFSET $4)`,
  fileInsert: `INSERT INTO files (org_id, id, name, csv_name, size, blob_key, header, delimiter, row_count, created_at,
                                 csv_entries)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
  fileGet: 'SELECT * FROM files WHERE org_id = $1 AND id = $2',
  jobInsert: `INSERT INTO jobs (id, org_id, api_version, spec, status, created_at, created_by, file_name)
              VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
  jobGet: 'SELECT * FROM jobs WHERE org_id = $1 AND id = $2',
  jobStateGet: `SELECT status, added, updated, skipped, resource_counts, checkpoint_row, failure_code, failure_message,
                       result_ready, started_at, finished_at, read_result
                FROM jobs WHERE org_id = $1 AND id = $2`,
  jobList: 'SELECT * FROM jobs WHERE org_id = $1 ORDER BY created_at DESC, seq DESC LIMIT $2',
  // SKIP LOCKED: concurrent claimers pass over a job another is taking instead of queueing behind it.
  // The scalar subquery runs once; a row whose status changed before we locked it is re-checked and skipped.
  jobClaim: `UPDATE jobs SET status = 'INPROGRESS', lease_owner = $1, lease_expires_at = $2,
                            started_at = coalesce(started_at, $3)
             WHERE id = (SELECT id FROM jobs
                         WHERE (status = 'ADDED' OR (status = 'INPROGRESS' AND lease_expires_at < $4))
                           AND NOT EXISTS (SELECT 1 FROM fault_jobs f WHERE f.job_id = jobs.id AND f.held)
                         ORDER BY created_at, seq LIMIT 1
                         FOR UPDATE SKIP LOCKED)
             RETURNING *`,
  jobRenew: "UPDATE jobs SET lease_expires_at = $1 WHERE id = $2 AND lease_owner = $3 AND status = 'INPROGRESS'",
  jobRelease:
    "UPDATE jobs SET lease_owner = NULL, lease_expires_at = 0 WHERE id = $1 AND lease_owner = $2 AND status = 'INPROGRESS'",
  jobComplete: `UPDATE jobs SET status = 'COMPLETED', result_ready = true, finished_at = $1, lease_owner = NULL,
                                lease_expires_at = NULL
                WHERE id = $2 AND lease_owner = $3 AND status = 'INPROGRESS'`,
  jobCompleteRead: `UPDATE jobs SET status = 'COMPLETED', result_ready = true, read_result = $1, finished_at = $2,
                                    lease_owner = NULL, lease_expires_at = NULL
                    WHERE id = $3 AND lease_owner = $4 AND status = 'INPROGRESS'`,
  jobFail: `UPDATE jobs SET status = 'FAILED', failure_code = $1, failure_message = $2, result_ready = ($3::int = 1),
                            finished_at = $4, lease_owner = NULL, lease_expires_at = NULL
            WHERE id = $5 AND lease_owner = $6 AND status = 'INPROGRESS'`,
  // As resultSummaries: from the chunk that holds the row, not a walk from the job's first chunk.
  results: `SELECT first_row, data FROM job_result_chunks
            WHERE first_row >= coalesce((SELECT max(c.first_row) FROM job_result_chunks c
                                         WHERE c.job_id = $1 AND c.first_row <= $2), 0)
              AND job_id = $3 AND last_row >= $4 AND first_row < $5 ORDER BY first_row LIMIT $6`,
  // From the chunk that holds the row (found by one probe of the key), not a walk from the first chunk.
  resultSummaries: `SELECT first_row, last_row, skipped, codes FROM job_result_summaries
                    WHERE first_row >= coalesce((SELECT max(s.first_row) FROM job_result_summaries s
                                                 WHERE s.job_id = $1 AND s.first_row <= $2), 0)
                      AND job_id = $3 AND last_row >= $4
                    ORDER BY first_row LIMIT $5`,
  // A finished job's callback, written in the transaction that finishes it (once: a second finish adds none).
  outboxFromJob: `INSERT INTO callback_outbox (job_id, org_id, url, due_at, created_at)
                  SELECT id, org_id, spec -> 'callback' ->> 'url', $1, $2 FROM jobs
                  WHERE id = $3 AND status IN ('COMPLETED', 'FAILED') AND spec -> 'callback' ->> 'url' IS NOT NULL
                  ON CONFLICT (job_id) DO NOTHING`,
  outboxClaim: `UPDATE callback_outbox SET lease_owner = $1, lease_expires_at = $2, attempts = attempts + 1
                WHERE job_id = (SELECT job_id FROM callback_outbox
                                WHERE state = 'pending' AND due_at <= $3 AND (lease_expires_at IS NULL OR lease_expires_at < $4)
                                ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING *`,
  outboxSettle: `UPDATE callback_outbox SET state = $1, due_at = $2, finished_at = $3,
                                            lease_owner = NULL, lease_expires_at = NULL
                 WHERE job_id = $4 AND lease_owner = $5`,
  outboxGet: 'SELECT * FROM callback_outbox WHERE org_id = $1 AND job_id = $2',
  outboxNextDue: "SELECT min(due_at) AS due_at FROM callback_outbox WHERE state = 'pending'",
  attemptInsert: `INSERT INTO callback_attempts (org_id, job_id, url, method, attempt, sent_at, status_code, error, body)
                  VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, $7) RETURNING id`,
  attemptsInterrupted: `UPDATE callback_attempts SET error = $1
                        WHERE org_id = $2 AND job_id = $3 AND status_code IS NULL AND error IS NULL`,
  attemptFinish: 'UPDATE callback_attempts SET status_code = $1, error = $2 WHERE id = $3',
  attemptList: `SELECT * FROM callback_attempts
                WHERE ($1::text IS NULL OR org_id = $2) AND ($3::text IS NULL OR job_id = $4) AND id > $5
                ORDER BY id LIMIT $6`,
  recordCount: 'SELECT records AS n FROM record_counts WHERE org_id = $1 AND module = $2',
  schemaGet: 'SELECT * FROM org_schemas WHERE org_id = $1',
  schemaPut: `INSERT INTO org_schemas (org_id, document, version, updated_at) VALUES ($1, $2, 1, $3)
              ON CONFLICT (org_id) DO UPDATE SET document = EXCLUDED.document,
                version = org_schemas.version + 1, updated_at = EXCLUDED.updated_at
              RETURNING *`,
  jobsActive: "SELECT count(*) AS n FROM jobs WHERE org_id = $1 AND status IN ('ADDED', 'INPROGRESS')",
  clockGet: 'SELECT offset_ms FROM emulator_clock WHERE id = 1',
  clockSet: 'UPDATE emulator_clock SET offset_ms = $1 WHERE id = 1',
  limitsGet: 'SELECT settings FROM org_limits WHERE org_id = $1',
  limitsAll: 'SELECT org_id, settings FROM org_limits',
  limitsPut: `INSERT INTO org_limits (org_id, settings, updated_at) VALUES ($1, $2, $3)
              ON CONFLICT (org_id) DO UPDATE SET settings = EXCLUDED.settings, updated_at = EXCLUDED.updated_at`,
  limitsDelete: 'DELETE FROM org_limits WHERE org_id = $1',
  creditsSpend: `INSERT INTO org_credits (org_id, minute, used) VALUES ($1, $2, $3)
                 ON CONFLICT (org_id, minute) DO UPDATE SET used = org_credits.used + EXCLUDED.used`,
  creditsSpent: 'SELECT COALESCE(sum(used), 0) AS n FROM org_credits WHERE org_id = $1 AND minute > $2',
  readDownloadAdd: `INSERT INTO read_downloads (org_id, at_ms, n) VALUES ($1, $2, 1)
                    ON CONFLICT (org_id, at_ms) DO UPDATE SET n = read_downloads.n + 1`,
  readDownloadsCount:
    'SELECT COALESCE(sum(n), 0) AS n FROM read_downloads WHERE org_id = $1 AND at_ms > $2 AND at_ms <= $3',
  readDownloadsForget: 'DELETE FROM read_downloads WHERE org_id = $1 AND at_ms <= $2',
  faultInsert: `INSERT INTO fault_rules (id, org_id, route, method, job_id, times, remaining, probability, effect, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
  faultList: 'SELECT * FROM fault_rules ORDER BY seq',
  faultDelete: 'DELETE FROM fault_rules WHERE id = $1',
  faultJobsOfRuleDelete: 'DELETE FROM fault_jobs WHERE rule_id = $1',
  faultClear: 'DELETE FROM fault_rules',
  faultJobsClear: 'DELETE FROM fault_jobs',
  // One UPDATE: the row lock makes concurrent firings of a rule with `times` count down one at a time.
  faultFire: `UPDATE fault_rules SET hits = hits + 1, remaining = remaining - 1
              WHERE id = $1 AND (remaining IS NULL OR remaining > 0)`,
  faultBind: `INSERT INTO fault_jobs (job_id, rule_id, effect, held) VALUES ($1, $2, $3, $4::int::boolean)
              ON CONFLICT DO NOTHING`,
  faultJobEffects: 'SELECT effect FROM fault_jobs WHERE job_id = $1 ORDER BY seq',
  faultRelease: 'UPDATE fault_jobs SET held = false WHERE job_id = $1 AND held',
};

/** The records tables the admin reset drops (of one org: `$1` is its id; of every org: no parameter). */
export const POSTGRES_RESET_TABLES_SQL = {
  org: 'SELECT table_name FROM record_tables WHERE org_id = $1',
  all: 'SELECT table_name FROM record_tables',
} as const;

/**
 * The admin reset of one org (`$1` is its id): what its jobs produced and its credit use; the org, its
 * users, clients, tokens, schema and limits stay. The job rows are locked first, as a chunk's first
 * statement locks its job's row: a chunk under way commits before the reset reads what to delete, and a
 * later one finds its job gone. A capability that keeps per-org rows adds its table here.
 */
export const POSTGRES_RESET_ORG_LOCK = 'SELECT id FROM jobs WHERE org_id = $1 FOR UPDATE';

/** What the reset of one org deletes, after POSTGRES_RESET_ORG_LOCK and dropping its records tables. */
export const POSTGRES_RESET_ORG_SQL: readonly string[] = [
  'DELETE FROM job_result_chunks WHERE job_id IN (SELECT id FROM jobs WHERE org_id = $1)',
  'DELETE FROM job_result_summaries WHERE job_id IN (SELECT id FROM jobs WHERE org_id = $1)',
  'DELETE FROM fault_jobs WHERE job_id IN (SELECT id FROM jobs WHERE org_id = $1)',
  'DELETE FROM jobs WHERE org_id = $1',
  'DELETE FROM files WHERE org_id = $1',
  'DELETE FROM record_tables WHERE org_id = $1',
  'DELETE FROM record_counts WHERE org_id = $1',
  'DELETE FROM org_credits WHERE org_id = $1',
  'DELETE FROM read_downloads WHERE org_id = $1',
  'DELETE FROM callback_outbox WHERE org_id = $1',
  'DELETE FROM callback_attempts WHERE org_id = $1',
];

/** The admin reset of the whole store: every table a fresh start has empty (TRUNCATE waits for writers). */
export const POSTGRES_RESET_ALL_SQL: readonly string[] = [
  `TRUNCATE job_result_chunks, job_result_summaries, jobs, files, record_tables, record_counts, org_credits, read_downloads, org_limits, org_schemas, grant_codes,
            access_tokens, refresh_tokens, oauth_client_secrets, oauth_clients, users, orgs, fault_jobs, fault_rules,
            callback_outbox, callback_attempts`,
  'UPDATE emulator_clock SET offset_ms = 0',
];

/**
 * The statements of this store's own transactions (those on records tables: postgres-record-tables.ts).
 * Bulk writes send a whole column as one array parameter and `unnest` it (records: one JSON document): a constant number of parameters (no
 * 65,535-parameter ceiling), one plan, and one round trip per table for thousands of rows.
 */
export const POSTGRES_TRANSACTION_SQL = {
  refreshRevoke: 'UPDATE refresh_tokens SET revoked_at = $1 WHERE token_hash = ANY($2::text[]) AND revoked_at IS NULL',
  accessRevokeOfRefresh: `UPDATE access_tokens SET revoked_at = $1
                          WHERE refresh_token_hash = ANY($2::text[]) AND revoked_at IS NULL`,
  refreshOverLimit: `SELECT token_hash FROM refresh_tokens WHERE client_id = $1 AND user_id = $2 AND revoked_at IS NULL
                     ORDER BY created_at DESC, seq DESC OFFSET $3`,
  // First in a chunk, and it locks the job row: a second committer of this job waits here, then sees the
  // new checkpoint (or owner) and gets nothing, so a chunk is never applied twice.
  jobAdvance: `UPDATE jobs SET added = added + $1, updated = updated + $2, skipped = skipped + $3,
                               checkpoint_row = $4, lease_expires_at = $5,
                               resource_counts = COALESCE($6::json, resource_counts)
               WHERE id = $7 AND lease_owner = $8 AND status = 'INPROGRESS' AND checkpoint_row < $9`,
  // The chunk's outcomes and their summary in one round trip.
  resultsInsert: `WITH summary AS (INSERT INTO job_result_summaries (job_id, first_row, last_row, skipped, codes)
                                   VALUES ($1, $2, $3, $5, $6))
                  INSERT INTO job_result_chunks (job_id, first_row, last_row, data) VALUES ($1, $2, $3, $4)`,
  // Last in a chunk, so the row lock on the module's count is held only while the chunk commits.
  countAdd: `INSERT INTO record_counts (org_id, module, records) VALUES ($1, $2, $3)
             ON CONFLICT (org_id, module) DO UPDATE SET records = record_counts.records + EXCLUDED.records`,
} as const;
