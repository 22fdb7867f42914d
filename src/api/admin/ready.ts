import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../deps.js';
import { JSON_TYPE } from '../error-handler.js';

/** How long the store has to answer before readiness says it does not. */
const STORE_TIMEOUT_MS = 2_000;

type Check = 'ok' | 'off' | string;

/** Store reachable and migrated: 'ok', else why not. */
async function storeChecks(deps: AppDeps): Promise<{ store: Check; migrations: Check }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${STORE_TIMEOUT_MS} ms`)), STORE_TIMEOUT_MS);
  });
  try {
    const pending = await Promise.race([deps.storage.ops.pendingMigrations(), timeout]);
    return { store: 'ok', migrations: pending.length === 0 ? 'ok' : `pending: ${pending.join(', ')}` };
  } catch (e) {
    return { store: `unreachable: ${(e as Error).message}`, migrations: 'unknown' };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * GET /_bulkwrite/ready: 200 when this process can do its work (the store answers, every migration of
 * this build is applied, and its job worker runs, when it is meant to run one), else 503 with the
 * check that failed. `/_bulkwrite/health` is liveness: it answers whenever the process does.
 */
export function registerReadyRoute(app: FastifyInstance, deps: AppDeps): void {
  app.get('/ready', async (_req, reply) => {
    const checks: Record<string, Check> = { ...(await storeChecks(deps)) };
    checks.worker = !deps.config.worker ? 'off' : (deps.workers?.() ?? 0) > 0 ? 'ok' : 'not running';
    const ready = Object.values(checks).every((c) => c === 'ok' || c === 'off');
    return reply
      .code(ready ? 200 : 503)
      .header('content-type', JSON_TYPE)
      .send(JSON.stringify({ status: ready ? 'ready' : 'not_ready', checks }));
  });
}
