/**
 * Run as a child process: a bulkwrite server (worker included) on 127.0.0.1 with a data folder of its
 * own and the settings of the environment. Prints one JSON line, {url, access_token, org_id}, once it
 * answers; then for each line `rss` read on stdin, one JSON line {peakKiB, nowKiB}: the process's peak
 * RSS so far and its RSS now; for each line `cpu`, one JSON line {cpuMicros}: the CPU time (user and
 * system) the process has used so far. Ends at the end of stdin, removing its data folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { issueCredentials } from '../../src/auth/org-setup.js';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server.js';

const dataDir = mkdtempSync(join(tmpdir(), 'bulkwrite-rss-'));
const config = loadConfig(process.env, { port: 0, dataDir, logLevel: 'silent' });
const server = await startServer(config);
const creds = await issueCredentials(server.storage, server.org, {
  now: Date.now(),
  tokenTtlSeconds: 3600,
  apiDomain: server.url,
});
process.stdout.write(
  `${JSON.stringify({ url: server.url, access_token: creds.access_token, org_id: creds.org_id })}\n`,
);
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpuMicros: user + system })}\n`);
    continue;
  }
  if (line.trim() !== 'rss') continue;
  const peakKiB = process.resourceUsage().maxRSS;
  process.stdout.write(`${JSON.stringify({ peakKiB, nowKiB: Math.round(process.memoryUsage.rss() / 1024) })}\n`);
}
await server.close();
rmSync(dataDir, { recursive: true, force: true });
