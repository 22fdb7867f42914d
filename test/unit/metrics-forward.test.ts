import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { describe, it } from 'node:test';
import { forwardMetrics, metrics } from '../../src/metrics.js';

describe('metrics forwarded from a worker thread', () => {
  it("a chunk's row counts travel as three numbers, never the chunk's records", async () => {
    // A real port, as worker-thread.ts uses: what arrives is what was cloned across threads.
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<unknown>((resolve) => port2.once('message', resolve));
    forwardMetrics((message) => port1.postMessage(message));
    const chunk = {
      added: 2,
      updated: 1,
      skipped: 0,
      inserts: [{ id: '1', data: { Last_Name: 'a'.repeat(1000) } }],
      results: [{ status: 'ADDED', recordId: '1', errors: null }],
    };
    metrics.rows(chunk);
    assert.deepEqual(await received, { bulkwriteMetric: { metric: 'rows', added: 2, updated: 1, skipped: 0 } });
    port1.close();
  });
});
