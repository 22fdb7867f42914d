import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CallbackEntry } from '../../src/client/admin.js';
import { DEFAULTS } from '../../src/config.js';
import { call, createJob, uploadCsv } from '../helpers/api.js';
import { startCallbackReceiver } from '../helpers/callback-receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

type Body = Record<string, unknown>;
type Entry = CallbackEntry;

describe('the callback journal and the built-in inbox', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ callback: { ...DEFAULTS.callback, attempts: 3, timeoutMs: 2000, backoffMs: 20 } });
  });
  after(() => t.close());

  async function jobWithCallback(url: string): Promise<string> {
    const fileId = await uploadCsv(t, 'Last_Name\nJournal\n');
    const res = await createJob(t, {
      operation: 'insert',
      callback: { url, method: 'post' },
      resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
    });
    assert.equal(res.status, 201, res.text);
    return (res.body.details as { id: string }).id;
  }

  /** The journal of one job once it holds `count` finished attempts. */
  async function journalOf(jobId: string, count: number): Promise<Entry[]> {
    const until = Date.now() + 20_000;
    for (;;) {
      const res = await call(`${t.url}/_bulkwrite/callbacks?job_id=${jobId}&wait_ms=2000`);
      assert.equal(res.status, 200, res.text);
      const entries = (res.body.callbacks as Entry[]).filter((e) => e.status_code !== null || e.error !== null);
      if (entries.length >= count) return entries;
      assert.ok(Date.now() < until, `${entries.length} of ${count} attempts journaled`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it("delivers a job's callback to the inbox, and journals the attempt with what was sent", async () => {
    const jobId = await jobWithCallback(`${t.url}/_bulkwrite/inbox/t1`);
    const inbox = await call(`${t.url}/_bulkwrite/inbox/t1?wait_ms=15000`);
    assert.equal(inbox.status, 200);
    const messages = inbox.body.messages as Array<{ method: string; headers: Body; body: string; received_at: string }>;
    assert.equal(messages.length, 1);
    assert.equal(messages[0]!.method, 'POST');
    assert.match(String(messages[0]!.headers['content-type']), /^application\/json/);
    const sent = JSON.parse(messages[0]!.body) as Body;
    assert.equal(sent.id, jobId);
    assert.equal(sent.status, 'COMPLETED');

    const [entry, ...more] = await journalOf(jobId, 1);
    assert.equal(more.length, 0);
    assert.deepEqual(
      { ...entry, id: undefined, sent_at: undefined },
      {
        id: undefined,
        sent_at: undefined,
        job_id: jobId,
        org_id: t.creds.org_id,
        url: `${t.url}/_bulkwrite/inbox/t1`,
        method: 'POST',
        attempt: 1,
        status_code: 200,
        error: null,
        body: messages[0]!.body,
      },
    );
    assert.ok(Math.abs(Date.parse(entry!.sent_at) - Date.now()) < 60_000);
    const other = await call(`${t.url}/_bulkwrite/callbacks?org_id=someone-else`);
    assert.deepEqual(other.body, { callbacks: [] });
  });

  it('journals every retry of a failing target, then gives up', async () => {
    const hook = await startCallbackReceiver([500]);
    try {
      const jobId = await jobWithCallback(hook.url);
      const entries = await journalOf(jobId, 3);
      assert.deepEqual(
        entries.map((e) => [e.attempt, e.status_code, e.error]),
        [
          [1, 500, 'answered 500'],
          [2, 500, 'answered 500'],
          [3, 500, 'answered 500'],
        ],
      );
      assert.equal(hook.hits.length, 3);
      assert.equal((await t.server.storage.callbacks.get(t.creds.org_id, jobId))?.state, 'failed');
    } finally {
      await hook.close();
    }
  });

  it('makes a callback look failed under a {"callback":{"status":503}} fault rule, retries visible in the journal', async () => {
    const rule = await call(`${t.url}/_bulkwrite/faults`, {
      method: 'POST',
      body: JSON.stringify({ match: { org_id: t.creds.org_id }, times: 2, callback: { status: 503 } }),
    });
    assert.equal(rule.status, 201, rule.text);
    try {
      const jobId = await jobWithCallback(`${t.url}/_bulkwrite/inbox/faulty`);
      const entries = await journalOf(jobId, 3);
      assert.deepEqual(
        entries.map((e) => [e.attempt, e.status_code]),
        [
          [1, 503],
          [2, 503],
          [3, 200],
        ],
      );
      assert.match(String(entries[0]!.error), /^answered 503 \(fault rule .*; not sent\)$/);
      const inbox = await call(`${t.url}/_bulkwrite/inbox/faulty`);
      assert.equal((inbox.body.messages as unknown[]).length, 1, 'only the attempt the rule let through was sent');
    } finally {
      await call(`${t.url}/_bulkwrite/faults`, { method: 'DELETE' });
    }
  });

  it('answers bad parameters with INVALID_DATA, and an empty inbox after its wait', async () => {
    for (const path of [
      '/callbacks?wait_ms=abc',
      '/callbacks?wait_ms=30001',
      '/inbox/a%20b',
      `/callbacks?job_id=${'9'.repeat(101)}`,
    ]) {
      const res = await call(`${t.url}/_bulkwrite${path}`);
      assert.equal(res.status, 400, path);
      assert.equal(res.body.code, 'INVALID_DATA', path);
    }
    const started = Date.now();
    const empty = await call(`${t.url}/_bulkwrite/inbox/nobody?wait_ms=300`);
    assert.deepEqual(empty.body, { messages: [] });
    assert.ok(Date.now() - started >= 250, 'waited');
  });
});
