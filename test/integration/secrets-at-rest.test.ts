import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createOrg } from '../../src/auth/org-setup.js';
import { matchesSecretHash } from '../../src/auth/tokens.js';
import { migrate as migratePostgres } from '../../src/storage/postgres/migrate.js';
import { openPostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { migrate as migrateSqlite } from '../../src/storage/sqlite/migrate.js';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import type { Storage } from '../../src/storage/storage.js';
import { call, runJob } from '../helpers/api.js';
import { testSchemas } from '../helpers/postgres.js';
import { startTestServer } from '../helpers/server.js';

const schemas = testSchemas();
after(() => schemas.dropDatabase());

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const PLAIN = 'a-secret-stored-in-plain-text-by-an-older-build';

/** The migrations of a store before client secrets were hashed, in a folder of their own. */
function migrationsBefore040(store: string): string {
  const dir = fileURLToPath(new URL(`../../src/storage/${store}/migrations/`, import.meta.url));
  const copy = mkdtempSync(join(tmpdir(), 'bulkwrite-migrations-'));
  cpSync(dir, copy, { recursive: true });
  for (const f of readdirSync(copy)) if (Number(f.split('_')[0]) >= 40) rmSync(join(copy, f));
  return copy;
}

const OLD_ROWS = [
  "INSERT INTO orgs (id, name, time_zone, created_at) VALUES ('1', 'old', 'UTC', 1)",
  "INSERT INTO users (org_id, id, name, email) VALUES ('1', '2', 'Ada', 'ada@example.com')",
  `INSERT INTO oauth_clients (client_id, org_id, client_secret, client_type, redirect_uri, name, created_at)
     VALUES ('1000.OLD', '1', '${PLAIN}', 'self', NULL, 'Self Client', 1)`,
];

/** After the upgrade: the old secret is a hash, still accepted, and no column holds it in plain text. */
async function checkUpgraded(storage: Storage, columns: string[]): Promise<void> {
  const hashes = await storage.oauth.clientSecretHashes('1000.OLD');
  assert.deepEqual(hashes, [sha256(PLAIN)]);
  assert.equal(matchesSecretHash(PLAIN, hashes), true);
  assert.equal(matchesSecretHash(`${PLAIN}x`, hashes), false);
  assert.equal(matchesSecretHash('', hashes), false);
  assert.ok(!columns.includes('client_secret'), `oauth_clients still has client_secret: ${columns.join(', ')}`);
  const client = await storage.oauth.getClient('1000.OLD');
  assert.equal(client?.clientType, 'self');
  assert.ok(!JSON.stringify(client).includes(PLAIN));
}

describe('client secrets at rest', () => {
  it('SQLite: an upgrade hashes the stored secrets, and a new client leaves no secret in the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkwrite-secrets-'));
    const old = migrationsBefore040('sqlite');
    try {
      const file = join(dir, 'bulkwrite.db');
      const db = new Database(file);
      migrateSqlite(db, old);
      for (const sql of OLD_ROWS) db.exec(sql);
      db.close();
      const storage = openSqliteStorage(file);
      try {
        const reader = new Database(file, { readonly: true });
        const columns = reader.prepare("SELECT name FROM pragma_table_info('oauth_clients')").pluck().all() as string[];
        reader.close();
        await checkUpgraded(storage, columns);
        const { client } = await createOrg(storage, { now: Date.now() });
        await storage.close();
        // Every byte the store wrote (database and WAL): neither secret is there, the new one's hash is.
        const bytes = readdirSync(dir)
          .filter((f) => f.startsWith('bulkwrite.db'))
          .map((f) => readFileSync(join(dir, f)).toString('latin1'))
          .join('');
        assert.ok(!bytes.includes(client.clientSecret), 'the new client secret is in the database file');
        assert.ok(!bytes.includes(PLAIN), 'the old client secret is still in the database file');
        assert.ok(bytes.includes(sha256(client.clientSecret)));
      } finally {
        await storage.close().catch(() => {});
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(old, { recursive: true, force: true });
    }
  });

  it('PostgreSQL: an upgrade hashes the stored secrets, and a new client is stored as a hash', async () => {
    const { url, drop } = await schemas.fresh();
    const old = migrationsBefore040('postgres');
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      await migratePostgres(pool, old);
      for (const sql of OLD_ROWS) await pool.query(sql);
      const storage = await openPostgresStorage(url);
      try {
        const columns = (
          await pool.query<{ column_name: string }>(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'oauth_clients' AND table_schema = current_schema()",
          )
        ).rows.map((r) => r.column_name);
        await checkUpgraded(storage, columns);
        const { client } = await createOrg(storage, { now: Date.now() });
        const dump = JSON.stringify(
          (await pool.query('SELECT c.*, s.* FROM oauth_clients c JOIN oauth_client_secrets s USING (client_id)')).rows,
        );
        assert.ok(!dump.includes(client.clientSecret) && !dump.includes(PLAIN));
        assert.ok(dump.includes(sha256(client.clientSecret)));
      } finally {
        await storage.close();
      }
    } finally {
      await pool.end();
      await drop();
      rmSync(old, { recursive: true, force: true });
    }
  });

  it('accepts every secret `credentials` showed for the Self Client, and no other', async () => {
    const t = await startTestServer({ worker: false });
    try {
      const second = await t.credentials();
      assert.notEqual(second.client_secret, t.creds.client_secret);
      const refresh = (secret: string) =>
        call(`${t.url}/oauth/v2/token`, {
          method: 'POST',
          body: new URLSearchParams({
            grant_type: 'refresh_token',
            client_id: t.creds.client_id,
            client_secret: secret,
            refresh_token: t.creds.refresh_token,
          }),
        });
      for (const secret of [t.creds.client_secret, second.client_secret]) {
        assert.match(String((await refresh(secret)).body.access_token), /^1000\./);
      }
      const wrong = t.creds.client_secret.slice(0, -1) + (t.creds.client_secret.endsWith('0') ? '1' : '0');
      assert.deepEqual((await refresh(wrong)).body, { error: 'invalid_client_secret' });
    } finally {
      await t.close();
    }
  });
});

/** Every folder and file under `dir`, with its permission bits. */
function modesUnder(dir: string): { path: string; dir: boolean; mode: number }[] {
  const out = [{ path: dir, dir: true, mode: statSync(dir).mode & 0o777 }];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(e.parentPath, e.name);
    out.push({ path, dir: e.isDirectory(), mode: statSync(path).mode & 0o777 });
  }
  return out;
}

describe('the data folder', () => {
  it('is created 0700, and the database, its WAL, the server file, uploads and results are 0600', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'bulkwrite-modes-'));
    const dataDir = join(parent, 'data');
    const previous = process.umask(0o022);
    const t = await startTestServer({ dataDir });
    try {
      await runJob(t, 'Last_Name,Email\nAda,ada@example.com\n', {
        field_mappings: [
          { api_name: 'Last_Name', index: 0 },
          { api_name: 'Email', index: 1 },
        ],
      });
      const entries = modesUnder(dataDir);
      const names = entries.map((e) => e.path.slice(dataDir.length));
      for (const expected of ['/bulkwrite.db', '/bulkwrite.db-wal', '/server.json'])
        assert.ok(names.includes(expected));
      assert.ok(
        names.some((n) => /^\/blobs\/uploads\/\d+\/\d+\.zip$/.test(n)),
        names.join('\n'),
      );
      assert.ok(
        names.some((n) => n.startsWith('/blobs/results/') && n.endsWith('.zip')),
        names.join('\n'),
      );
      const wrong = entries.filter((e) => e.mode !== (e.dir ? 0o700 : 0o600));
      assert.deepEqual(
        wrong.map((e) => `${e.path.slice(dataDir.length)} ${e.mode.toString(8)}`),
        [],
      );
    } finally {
      process.umask(previous);
      await t.close();
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
