import { readFileSync } from 'node:fs';
import multipart from '@fastify/multipart';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { guardAdminSurface } from './admin/admin-access.js';
import { adminRoutes } from './admin/admin-routes.js';
import { registerHttpMetrics } from './admin/metrics.js';
import type { AppDeps } from './deps.js';
import { registerConsole } from './console/console-entry.js';
import { consoleSessions } from './console/console-session.js';
import { emulatorClock } from '../domain/emulator-clock.js';
import { ZohoError } from '../errors/zoho-error.js';
import { answerClientError } from './client-error.js';
import { errorHandler, sendZohoError } from './error-handler.js';
import { answerUnservedMethods } from './method-not-allowed.js';
import { registerOrgLimits } from './org-limits.js';
import { registerPipeline } from './pipeline.js';
import { registerRequestFaults } from './request-faults.js';
import { registerRequestJournal, requestJournal } from './request-journal.js';
import { registerRequestLog, requestIdOf } from './request-log.js';
import { registerBulkReadRoutes } from './routes/bulk-read.js';
import { registerBulkWriteRoutes } from './routes/bulk-write.js';
import { registerDownloadRoutes } from './routes/download.js';
import { oauthRoutes } from './routes/oauth.js';
import { registerRecordRoutes } from './routes/records.js';
import { registerUploadRoutes } from './routes/upload.js';

// Zoho ids are 19 digits; keep route params as strings and accept trailing slashes.
const ROUTER_OPTIONS = { ignoreTrailingSlash: true };

/** Builds the HTTP app; it never listens (the caller does), so tests can use inject() or a real port. */
export async function buildApp(given: AppDeps): Promise<FastifyInstance> {
  // Every time the API reads or writes is the emulator clock's (domain/emulator-clock.ts).
  const clock =
    given.clock ??
    emulatorClock({
      realNow: given.now ?? Date.now,
      readOffset: () => given.storage.emulator.clockOffset(),
      writeOffset: (offsetMs) => given.storage.emulator.setClockOffset(offsetMs),
    });
  const deps: AppDeps = { ...given, clock, now: clock.now };
  // The server's own logger (log.ts); without one, Fastify logs nothing. Typed as Fastify's base logger
  // so that the app stays a plain FastifyInstance for the route modules.
  const loggerInstance: FastifyBaseLogger | undefined = deps.logger;
  const { tlsCertFile, tlsKeyFile, trustedProxies } = deps.config;
  // TLS when the settings name a certificate and key (server.ts checks they come as a pair).
  const https = tlsCertFile && tlsKeyFile ? { cert: readFileSync(tlsCertFile), key: readFileSync(tlsKeyFile) } : null;
  const app = Fastify({
    ...(https ? { https } : {}),
    // X-Forwarded-For/-Proto/-Host count only from the listed proxies (BULKWRITE_TRUSTED_PROXIES); from
    // anyone else req.ip, req.protocol and req.host are the connection's own.
    trustProxy: trustedProxies.length > 0 ? trustedProxies : false,
    loggerInstance,
    // Fastify's two info lines per request are replaced by request-log.ts's one.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdOf,
    bodyLimit: 4 * 1024 * 1024,
    routerOptions: ROUTER_OPTIONS,
    return503OnClosing: false,
    // A path that is not valid percent-encoding (`%ff`) is an unknown URL in Zoho's envelope, not Fastify's body.
    frameworkErrors: (_error, _req, reply) => void sendZohoError(reply, new ZohoError('INVALID_URL_PATTERN')),
    // What Node's HTTP parser refuses (a 100 KB header or URL…) is answered in the envelope too.
    clientErrorHandler: answerClientError,
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((_req, reply) => sendZohoError(reply, new ZohoError('INVALID_URL_PATTERN')));
  // Hooks first: a route takes the hooks present when it is added.
  registerRequestLog(app);
  registerRequestJournal(app, requestJournal(deps.storage), clock.now);
  registerHttpMetrics(app);
  const sessions = consoleSessions(deps.config.adminKey, clock.now);
  guardAdminSurface(app, deps.config.adminKey, sessions);
  answerUnservedMethods(app, ROUTER_OPTIONS);
  registerPipeline(app, { storage: deps.storage, clock });
  registerOrgLimits(app, deps.storage, clock.now);
  registerRequestFaults(app, deps.storage);

  // Bodies reach the routes as text and each route reads its own: the create-job route parses JSON itself
  // (curl -d sends it form-encoded), so a bad body is a Zoho error, not a parser's. Multipart bodies are
  // streamed by the routes; the OAuth routes parse forms in their own plugin.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  await app.register(multipart, { limits: { fileSize: deps.config.limits.maxUploadBytes, files: 1 } });

  await app.register(oauthRoutes(deps));
  registerUploadRoutes(app, deps);
  registerBulkWriteRoutes(app, deps);
  registerBulkReadRoutes(app, deps);
  registerDownloadRoutes(app, deps);
  registerRecordRoutes(app, deps);
  await app.register(adminRoutes(deps), { prefix: '/_bulkwrite' });
  await registerConsole(app, deps, sessions);
  return app;
}
