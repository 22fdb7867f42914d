import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app.js';
import { ensureDefaultOrg, issueCredentials } from '../../src/auth/org-setup.js';
import { openFsBlobs } from '../../src/blobs/blobs.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { PinoLogger } from '../../src/log.js';
import { presentedOrigins } from '../../src/presentation.js';
import { openStorage } from '../../src/storage/open-storage.js';
import { withReadCache } from '../../src/storage/read-cache.js';
import type { Storage } from '../../src/storage/storage.js';
import type { TestServer } from './server.js';

/** Apps reached through inject(), by the origin their test server names. */
const injected = new Map<string, FastifyInstance>();
let made = 0;

/**
 * fetch(), or, for the origin of an injected test server, the same request handed to its app: the body
 * is encoded by the WHATWG Request (FormData, URLSearchParams, Blob) as fetch would send it.
 */
export function fetchFor(url: string): typeof fetch {
  const app = injected.get(new URL(url).origin);
  if (!app) return fetch;
  return async (input, init) => {
    const request = new Request(input, init);
    const target = new URL(request.url);
    const payload = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const res = await app.inject({
      method: request.method as 'GET',
      url: `${target.pathname}${target.search}`,
      headers: Object.fromEntries(request.headers),
      ...(payload ? { payload } : {}),
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      for (const one of [value ?? []].flat()) headers.append(name, String(one));
    }
    const empty = request.method === 'HEAD' || [204, 205, 304].includes(res.statusCode);
    return new Response(empty ? null : res.rawPayload, { status: res.statusCode, headers });
  };
}

export interface InjectOptions {
  /** The app's logger (a test captures its lines); none by default. */
  logger?: PinoLogger;
  /** Wraps the store the app sees (a test makes it fail). */
  storage?: (storage: Storage) => Storage;
  /** Adds to the app before its first request (a test adds a route). */
  extend?: (app: FastifyInstance) => void;
}

/**
 * A bulkwrite app without a socket or a job worker, for tests that need only HTTP semantics: SQLite in
 * a data folder of its own, the default org and the read cache, as startServer composes them. Its `url`
 * resolves nowhere; the helpers in api.ts hand requests to it to the app's inject().
 */
export async function injectTestServer(overrides: Partial<Config> = {}, opts: InjectOptions = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bulkwrite-inject-'));
  const url = `http://inject-${++made}.bulkwrite.invalid`;
  const config = loadConfig(
    {},
    { dataDir, logLevel: 'silent', publicUrl: url, worker: false, pollIntervalMs: 50, ...overrides },
  );
  const opened = withReadCache(await openStorage(config), { ttlMs: config.cacheTtlMs });
  const storage = opts.storage ? opts.storage(opened) : opened;
  const { org, created } = await ensureDefaultOrg(opened, Date.now());
  const app = await buildApp({
    config,
    storage,
    blobs: openFsBlobs(join(dataDir, 'blobs')),
    baseUrl: () => url,
    presentation: () => presentedOrigins(config),
    logger: opts.logger,
  });
  opts.extend?.(app);
  injected.set(url, app);
  const close = async () => {
    injected.delete(url);
    await app.close();
    await opened.close();
  };
  const credentials = (scopes?: string[]) =>
    issueCredentials(opened, org, { scopes, now: Date.now(), tokenTtlSeconds: config.tokenTtlSeconds, apiDomain: url });
  return {
    url,
    dataDir,
    config,
    server: { app, url, presentation: presentedOrigins(config), port: 0, org, orgCreated: created, storage, close },
    creds: await credentials(),
    credentials,
    async close() {
      await close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
