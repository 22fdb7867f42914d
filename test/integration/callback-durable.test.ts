import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openPostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { INTERRUPTED_ATTEMPT, type Storage } from '../../src/storage/storage.js';
import { auth, call } from '../helpers/api.js';
import { startCallbackReceiver } from '../helpers/callback-receiver.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { serveProcess } from '../helpers/serve-process.js';
import { makeZip } from '../helpers/zip.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function serve(env: NodeJS.ProcessEnv, dataDir: string): Promise<{ proc: ChildProcess; url: string }> {
  return serveProcess(dataDir, {
    ...env,
    BULKWRITE_LOG_LEVEL: 'warn',
    BULKWRITE_POLL_INTERVAL_MS: '100',
    BULKWRITE_CALLBACK_TIMEOUT_MS: '2000',
    BULKWRITE_CALLBACK_ATTEMPTS: '3',
    BULKWRITE_CALLBACK_BACKOFF_MS: '100',
  });
}

function killed(proc: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill(signal);
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The server is killed with SIGKILL after the job completed, while its callback is in flight (the
 * receiver holds the first request open), so the callback is not delivered; after a restart it arrives.
 */
function crashBetweenCompletionAndDelivery(
  env: () => NodeJS.ProcessEnv,
  openStoreIn: (dataDir: string) => Promise<Storage>,
) {
  return async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bulkwrite-callback-crash-'));
    const openStore = () => openStoreIn(dataDir);
    const hook = await startCallbackReceiver([0, 200]);
    let server = await serve(env(), dataDir);
    try {
      const creds = JSON.parse(
        spawnSync(process.execPath, [CLI, 'credentials', '--json', '--data-dir', dataDir], {
          encoding: 'utf8',
          env: env(),
        }).stdout,
      ) as { access_token: string; org_id: string };
      const form = new FormData();
      form.append('file', new Blob([await makeZip({ 'cb.csv': 'Last_Name\nDurable\n' })]), 'cb.zip');
      const up = await call(`${server.url}/crm/v2.1/upload`, {
        method: 'POST',
        headers: { ...auth(creds.access_token), feature: 'bulk-write', 'X-CRM-ORG': creds.org_id },
        body: form,
      });
      const fileId = (up.body.details as { file_id: string }).file_id;
      const created = await call(`${server.url}/crm/bulk/v2.1/write`, {
        method: 'POST',
        headers: { ...auth(creds.access_token), 'content-type': 'application/json' },
        body: JSON.stringify({
          operation: 'insert',
          callback: { url: hook.url, method: 'post' },
          resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
        }),
      });
      assert.equal(created.status, 201, created.text);
      const jobId = (created.body.details as { id: string }).id;

      await hook.waitFor(1);
      await killed(server.proc, 'SIGKILL');

      let store = await openStore();
      try {
        assert.equal((await store.jobs.get(creds.org_id, jobId))?.status, 'COMPLETED');
        assert.equal((await store.callbacks.get(creds.org_id, jobId))?.state, 'pending', 'not delivered');
      } finally {
        await store.close();
      }

      server = await serve(env(), dataDir);
      await hook.waitFor(2);
      const body = JSON.parse(hook.hits[1]!.body) as { id: string; status: string };
      assert.equal(body.id, jobId);
      assert.equal(body.status, 'COMPLETED');

      store = await openStore();
      try {
        await until('delivered', async () =>
          (await store.callbacks.get(creds.org_id, jobId))?.state === 'delivered' ? true : undefined,
        );
        const journal = await store.callbacks.attempts({ orgId: creds.org_id, jobId, limit: 10 });
        assert.deepEqual(
          journal.map((a) => [a.attempt, a.statusCode, a.error]),
          [
            [1, null, INTERRUPTED_ATTEMPT],
            [2, 200, null],
          ],
        );
        assert.equal(hook.hits.length, 2, 'sent again once, not more');
      } finally {
        await store.close();
      }
    } finally {
      await killed(server.proc, 'SIGTERM');
      await hook.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
}

describe('a callback survives kill -9 between job completion and delivery', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('bulkwrite_callbacks');
  });
  after(() => db.drop());

  it(
    'on SQLite',
    crashBetweenCompletionAndDelivery(
      () => ({ ...process.env, BULKWRITE_DATABASE_URL: '' }),
      async (dataDir) => openSqliteStorage(join(dataDir, 'bulkwrite.db')),
    ),
  );

  it(
    'on PostgreSQL',
    crashBetweenCompletionAndDelivery(
      () => ({ ...process.env, BULKWRITE_DATABASE_URL: db.url }),
      () => openPostgresStorage(db.url),
    ),
  );
});
