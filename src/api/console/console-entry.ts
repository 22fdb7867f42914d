import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../deps.js';
import { consoleRoutes } from './console-routes.js';
import type { ConsoleSessions } from './console-session.js';

/**
 * Mounts the console (unless `--no-console`): a browser asking for `/` (Accept: text/html) is sent to
 * /console/; every other request to `/` keeps Zoho's INVALID_URL_PATTERN (no route is added for `/`, so
 * the wrong-method table and the not-found answer stay as they are).
 */
export async function registerConsole(app: FastifyInstance, deps: AppDeps, sessions: ConsoleSessions): Promise<void> {
  if (!deps.config.console) return;
  app.addHook('onRequest', async (req, reply) => {
    if (req.url !== '/' || (req.method !== 'GET' && req.method !== 'HEAD')) return;
    const accept = req.headers.accept;
    if (typeof accept === 'string' && /(^|,)\s*text\/html\s*(;|,|$)/i.test(accept))
      return reply.redirect('/console/', 302);
  });
  await app.register(consoleRoutes(deps, sessions));
}
