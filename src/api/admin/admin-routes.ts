import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { VERSION } from '../../version.js';
import type { AppDeps } from '../deps.js';
import { JSON_TYPE } from '../error-handler.js';
import { registerClockRoutes } from './clock-routes.js';
import { registerOrgRoutes } from './org-routes.js';
import { callbackRoutes } from './callbacks-routes.js';
import { faultRoutes } from './faults-routes.js';
import { registerMetricsRoute } from './metrics.js';
import { registerReadyRoute } from './ready.js';
import { Inbox } from './inbox.js';
import { registerResetRoute } from './reset-routes.js';
import { registerLimitsRoutes } from './limits-routes.js';
import { orgLimitsCache } from '../org-limits.js';
import { requestJournal } from '../request-journal.js';
import { registerRequestsRoutes } from './requests-routes.js';

/**
 * bulkwrite's own API under `/_bulkwrite/` (docs/admin-api.md): JSON in, JSON out, never a Zoho token.
 * Every route here is marked `config.admin`, so `guardAdminSurface` (admin-access.ts) applies the admin
 * rule to it before anything else runs. Each capability adds its routes in a file of its own, registered
 * below.
 */
export function adminRoutes(deps: AppDeps): FastifyPluginAsync {
  const inbox = new Inbox();
  return async (app: FastifyInstance) => {
    app.addHook('onRoute', (route) => {
      route.config = { ...(route.config ?? {}), admin: true };
    });

    app.get('/health', async (_req, reply) =>
      reply
        .code(200)
        .header('content-type', JSON_TYPE)
        .send(
          JSON.stringify({
            status: 'ok',
            version: VERSION,
            store: deps.config.databaseUrl.trim() === '' ? 'sqlite' : 'postgres',
            workers: deps.workers?.() ?? 0,
          }),
        ),
    );
    registerOrgRoutes(app, deps);
    registerClockRoutes(app, deps);
    await app.register(faultRoutes(deps));
    await app.register(callbackRoutes(deps, inbox));
    registerLimitsRoutes(app, deps);
    const limits = orgLimitsCache(deps.storage);
    registerRequestsRoutes(app, deps);
    const journal = requestJournal(deps.storage);
    registerResetRoute(app, deps, inbox, [
      { onReset: () => limits.invalidate() },
      { onReset: (orgId) => journal.clear(orgId) },
    ]);
    registerReadyRoute(app, deps);
    registerMetricsRoute(app, deps);
  };
}
