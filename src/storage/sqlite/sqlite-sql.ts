import type { SharedStatement } from '../core/sql-dialect.js';

const ORG_WITH_FIRST_USER = `SELECT o.id, o.name, o.time_zone, o.created_at,
                                    u.id AS user_id, u.name AS user_name, u.email AS user_email
                             FROM orgs o
                             JOIN users u ON u.rowid = (SELECT rowid FROM users WHERE org_id = o.id ORDER BY rowid LIMIT 1)`;

/** The core's statements in SQLite; `?` in the order of the core's parameters. rowid is insertion order. */
export const SQLITE_SQL: Record<SharedStatement, string> = {
  // Text out: the ids pass 2^53, and a JS number in would make the sum a REAL.
  reserve: "UPDATE id_sequence SET next = next + ? WHERE name = 'main' RETURNING CAST(next - ? AS TEXT) AS first",
  orgInsert: 'INSERT INTO orgs (id, name, time_zone, created_at) VALUES (?, ?, ?, ?)',
  userInsert: 'INSERT INTO users (org_id, id, name, email) VALUES (?, ?, ?, ?)',
  orgGet: `${ORG_WITH_FIRST_USER} WHERE o.id = ?`,
  orgDefault: `${ORG_WITH_FIRST_USER} ORDER BY o.created_at, o.rowid LIMIT 1`,
  orgList: `${ORG_WITH_FIRST_USER} ORDER BY o.created_at, o.rowid`,
  userById: 'SELECT id, name, email FROM users WHERE org_id = ? AND id = ?',
  // Users of an org may share an address: the first one added answers.
  userByEmail: 'SELECT id, name, email FROM users WHERE org_id = ? AND lower(email) = lower(?) ORDER BY rowid LIMIT 1',
  clientInsert:
    'INSERT INTO oauth_clients (client_id, org_id, client_type, redirect_uri, name, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  clientSecretInsert: 'INSERT INTO oauth_client_secrets (secret_hash, client_id, created_at) VALUES (?, ?, ?)',
  clientSecretsOf: 'SELECT secret_hash FROM oauth_client_secrets WHERE client_id = ?',
  clientGet: 'SELECT * FROM oauth_clients WHERE client_id = ?',
  clientsOf: 'SELECT * FROM oauth_clients WHERE org_id = ? ORDER BY created_at, rowid',
  grantInsert:
    'INSERT INTO grant_codes (code_hash, client_id, org_id, user_id, scopes, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
  grantUse: 'UPDATE grant_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING *',
  refreshInsert:
    'INSERT INTO refresh_tokens (token_hash, client_id, org_id, user_id, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  refreshGet: 'SELECT * FROM refresh_tokens WHERE token_hash = ? AND revoked_at IS NULL',
  accessInsert:
    'INSERT INTO access_tokens (token_hash, refresh_token_hash, client_id, org_id, user_id, scopes, expires_at, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  accessGet: 'SELECT * FROM access_tokens WHERE token_hash = ? AND expires_at > ? AND revoked_at IS NULL',
  accessRevoke: 'UPDATE access_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL',
  accessCountSince: 'SELECT count(*) AS n FROM access_tokens WHERE refresh_token_hash = ? AND issued_at >= ?',
  accessPrune: `UPDATE access_tokens SET revoked_at = ?
                WHERE rowid IN (SELECT rowid FROM access_tokens
                                WHERE refresh_token_hash = ? AND revoked_at IS NULL AND expires_at > ?
                                ORDER BY issued_at DESC, rowid DESC LIMIT -1 OFFSET ?)`,
  fileInsert:
    'INSERT INTO files (org_id, id, name, csv_name, size, blob_key, header, delimiter, row_count, created_at, csv_entries) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  fileGet: 'SELECT * FROM files WHERE org_id = ? AND id = ?',
  jobInsert:
    'INSERT INTO jobs (id, org_id, api_version, spec, status, created_at, created_by, file_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  jobGet: 'SELECT * FROM jobs WHERE org_id = ? AND id = ?',
  jobStateGet: `SELECT status, added, updated, skipped, resource_counts, checkpoint_row, failure_code, failure_message,
                       result_ready, started_at, finished_at, read_result
                FROM jobs WHERE org_id = ? AND id = ?`,
  jobList: 'SELECT * FROM jobs WHERE org_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?',
  jobClaim: `UPDATE jobs SET status = 'INPROGRESS', lease_owner = ?, lease_expires_at = ?, started_at = coalesce(started_at, ?)
             WHERE id = (SELECT id FROM jobs WHERE (status = 'ADDED' OR (status = 'INPROGRESS' AND lease_expires_at < ?))
                           AND NOT EXISTS (SELECT 1 FROM fault_jobs f WHERE f.job_id = jobs.id AND f.held = 1)
                         ORDER BY created_at, rowid LIMIT 1)
             RETURNING *`,
  jobRenew: "UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND lease_owner = ? AND status = 'INPROGRESS'",
  jobRelease:
    "UPDATE jobs SET lease_owner = NULL, lease_expires_at = 0 WHERE id = ? AND lease_owner = ? AND status = 'INPROGRESS'",
  jobComplete: `UPDATE jobs SET status = 'COMPLETED', result_ready = 1, finished_at = ?, lease_owner = NULL, lease_expires_at = NULL
                WHERE id = ? AND lease_owner = ? AND status = 'INPROGRESS'`,
  jobCompleteRead: `UPDATE jobs SET status = 'COMPLETED', result_ready = 1, read_result = ?, finished_at = ?, lease_owner = NULL,
                                    lease_expires_at = NULL
                    WHERE id = ? AND lease_owner = ? AND status = 'INPROGRESS'`,
  jobFail: `UPDATE jobs SET status = 'FAILED', failure_code = ?, failure_message = ?, result_ready = ?, finished_at = ?,
                            lease_owner = NULL, lease_expires_at = NULL
            WHERE id = ? AND lease_owner = ? AND status = 'INPROGRESS'`,
  // As resultSummaries: from the chunk that holds the row, not a walk from the job's first chunk.
  results: `SELECT first_row, data FROM job_result_chunks
            WHERE first_row >= coalesce((SELECT max(c.first_row) FROM job_result_chunks c
                                         WHERE c.job_id = ? AND c.first_row <= ?), 0)
              AND job_id = ? AND last_row >= ? AND first_row < ? ORDER BY first_row LIMIT ?`,
  // From the chunk that holds the row (found by one probe of the key), not a walk from the first chunk.
  resultSummaries: `SELECT first_row, last_row, skipped, codes FROM job_result_summaries
                    WHERE first_row >= coalesce((SELECT max(s.first_row) FROM job_result_summaries s
                                                 WHERE s.job_id = ? AND s.first_row <= ?), 0)
                      AND job_id = ? AND last_row >= ?
                    ORDER BY first_row LIMIT ?`,
  // A finished job's callback, written in the transaction that finishes it (once: a second finish adds none).
  outboxFromJob: `INSERT INTO callback_outbox (job_id, org_id, url, due_at, created_at)
                  SELECT id, org_id, json_extract(spec, '$.callback.url'), ?, ? FROM jobs
                  WHERE id = ? AND status IN ('COMPLETED', 'FAILED') AND json_extract(spec, '$.callback.url') IS NOT NULL
                  ON CONFLICT (job_id) DO NOTHING`,
  outboxClaim: `UPDATE callback_outbox SET lease_owner = ?, lease_expires_at = ?, attempts = attempts + 1
                WHERE job_id = (SELECT job_id FROM callback_outbox
                                WHERE state = 'pending' AND due_at <= ? AND (lease_expires_at IS NULL OR lease_expires_at < ?)
                                ORDER BY due_at LIMIT 1)
                RETURNING *`,
  outboxSettle: `UPDATE callback_outbox SET state = ?, due_at = ?, finished_at = ?,
                                            lease_owner = NULL, lease_expires_at = NULL
                 WHERE job_id = ? AND lease_owner = ?`,
  outboxGet: 'SELECT * FROM callback_outbox WHERE org_id = ? AND job_id = ?',
  outboxNextDue: "SELECT min(due_at) AS due_at FROM callback_outbox WHERE state = 'pending'",
  attemptInsert: `INSERT INTO callback_attempts (org_id, job_id, url, method, attempt, sent_at, status_code, error, body)
                  VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?) RETURNING id`,
  attemptsInterrupted: `UPDATE callback_attempts SET error = ?
                        WHERE org_id = ? AND job_id = ? AND status_code IS NULL AND error IS NULL`,
  attemptFinish: 'UPDATE callback_attempts SET status_code = ?, error = ? WHERE id = ?',
  attemptList: `SELECT * FROM callback_attempts
                WHERE (? IS NULL OR org_id = ?) AND (? IS NULL OR job_id = ?) AND id > ? ORDER BY id LIMIT ?`,
  recordCount: 'SELECT records AS n FROM record_counts WHERE org_id = ? AND module = ?',
  schemaGet: 'SELECT * FROM org_schemas WHERE org_id = ?',
  schemaPut: `INSERT INTO org_schemas (org_id, document, version, updated_at) VALUES (?, ?, 1, ?)
              ON CONFLICT (org_id) DO UPDATE SET document = excluded.document,
                version = org_schemas.version + 1, updated_at = excluded.updated_at
              RETURNING *`,
  jobsActive: "SELECT count(*) AS n FROM jobs WHERE org_id = ? AND status IN ('ADDED', 'INPROGRESS')",
  clockGet: 'SELECT offset_ms FROM emulator_clock WHERE id = 1',
  clockSet: 'UPDATE emulator_clock SET offset_ms = ? WHERE id = 1',
  limitsGet: 'SELECT settings FROM org_limits WHERE org_id = ?',
  limitsAll: 'SELECT org_id, settings FROM org_limits',
  limitsPut: `INSERT INTO org_limits (org_id, settings, updated_at) VALUES (?, ?, ?)
              ON CONFLICT (org_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
  limitsDelete: 'DELETE FROM org_limits WHERE org_id = ?',
  creditsSpend: `INSERT INTO org_credits (org_id, minute, used) VALUES (?, ?, ?)
                 ON CONFLICT (org_id, minute) DO UPDATE SET used = org_credits.used + excluded.used`,
  creditsSpent: 'SELECT COALESCE(sum(used), 0) AS n FROM org_credits WHERE org_id = ? AND minute > ?',
  readDownloadAdd: `INSERT INTO read_downloads (org_id, at_ms, n) VALUES (?, ?, 1)
                    ON CONFLICT (org_id, at_ms) DO UPDATE SET n = read_downloads.n + 1`,
  readDownloadsCount:
    'SELECT COALESCE(sum(n), 0) AS n FROM read_downloads WHERE org_id = ? AND at_ms > ? AND at_ms <= ?',
  readDownloadsForget: 'DELETE FROM read_downloads WHERE org_id = ? AND at_ms <= ?',
  faultInsert: `INSERT INTO fault_rules (id, org_id, route, method, job_id, times, remaining, probability, effect, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  faultList: 'SELECT * FROM fault_rules ORDER BY rowid',
  faultDelete: 'DELETE FROM fault_rules WHERE id = ?',
  faultJobsOfRuleDelete: 'DELETE FROM fault_jobs WHERE rule_id = ?',
  faultClear: 'DELETE FROM fault_rules',
  faultJobsClear: 'DELETE FROM fault_jobs',
  // NULL - 1 is NULL: an unlimited rule stays unlimited.
  faultFire: `UPDATE fault_rules SET hits = hits + 1, remaining = remaining - 1
              WHERE id = ? AND (remaining IS NULL OR remaining > 0)`,
  faultBind: 'INSERT OR IGNORE INTO fault_jobs (job_id, rule_id, effect, held) VALUES (?, ?, ?, ?)',
  faultJobEffects: 'SELECT effect FROM fault_jobs WHERE job_id = ? ORDER BY rowid',
  faultRelease: 'UPDATE fault_jobs SET held = 0 WHERE job_id = ? AND held = 1',
};

/** The records tables the admin reset drops (of one org: `?` is its id; of every org: no parameter). */
export const SQLITE_RESET_TABLES_SQL = {
  org: 'SELECT table_name FROM record_tables WHERE org_id = ?',
  all: 'SELECT table_name FROM record_tables',
} as const;

/**
 * The admin reset of one org (`?` is its id): what its jobs produced and its credit use; the org, its
 * users, clients, tokens, schema and limits stay. A capability that keeps per-org rows adds its table here.
 */
export const SQLITE_RESET_ORG_SQL: readonly string[] = [
  'DELETE FROM job_result_chunks WHERE job_id IN (SELECT id FROM jobs WHERE org_id = ?)',
  'DELETE FROM job_result_summaries WHERE job_id IN (SELECT id FROM jobs WHERE org_id = ?)',
  'DELETE FROM fault_jobs WHERE job_id IN (SELECT id FROM jobs WHERE org_id = ?)',
  'DELETE FROM jobs WHERE org_id = ?',
  'DELETE FROM files WHERE org_id = ?',
  'DELETE FROM record_tables WHERE org_id = ?',
  'DELETE FROM record_counts WHERE org_id = ?',
  'DELETE FROM org_credits WHERE org_id = ?',
  'DELETE FROM read_downloads WHERE org_id = ?',
  'DELETE FROM callback_outbox WHERE org_id = ?',
  'DELETE FROM callback_attempts WHERE org_id = ?',
];

/** The admin reset of the whole store: every table a fresh start has empty, children first. */
export const SQLITE_RESET_ALL_SQL: readonly string[] = [
  'DELETE FROM job_result_chunks',
  'DELETE FROM job_result_summaries',
  'DELETE FROM jobs',
  'DELETE FROM files',
  'DELETE FROM record_tables',
  'DELETE FROM record_counts',
  'DELETE FROM org_credits',
  'DELETE FROM read_downloads',
  'DELETE FROM callback_outbox',
  'DELETE FROM callback_attempts',
  'DELETE FROM org_limits',
  'DELETE FROM org_schemas',
  'DELETE FROM grant_codes',
  'DELETE FROM access_tokens',
  'DELETE FROM refresh_tokens',
  'DELETE FROM oauth_client_secrets',
  'DELETE FROM oauth_clients',
  'DELETE FROM fault_jobs',
  'DELETE FROM fault_rules',
  'DELETE FROM users',
  'DELETE FROM orgs',
  'UPDATE emulator_clock SET offset_ms = 0',
];

/** The statements of this store's own transactions: token revocation and the chunk write. */
export const SQLITE_TRANSACTION_SQL = {
  refreshRevoke: 'UPDATE refresh_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL',
  accessRevokeOfRefresh: 'UPDATE access_tokens SET revoked_at = ? WHERE refresh_token_hash = ? AND revoked_at IS NULL',
  refreshOverLimit: `SELECT token_hash FROM refresh_tokens WHERE client_id = ? AND user_id = ? AND revoked_at IS NULL
                     ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?`,
  jobAdvance: `UPDATE jobs SET added = added + ?, updated = updated + ?, skipped = skipped + ?, checkpoint_row = ?,
                               lease_expires_at = ?, resource_counts = COALESCE(?, resource_counts)
               WHERE id = ? AND lease_owner = ? AND status = 'INPROGRESS' AND checkpoint_row < ?`,
  resultInsert: 'INSERT INTO job_result_chunks (job_id, first_row, last_row, data) VALUES (?, ?, ?, ?)',
  resultSummaryInsert:
    'INSERT INTO job_result_summaries (job_id, first_row, last_row, skipped, codes) VALUES (?, ?, ?, ?, ?)',
  countAdd: `INSERT INTO record_counts (org_id, module, records) VALUES (?, ?, ?)
             ON CONFLICT (org_id, module) DO UPDATE SET records = records + excluded.records`,
} as const;
