import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance, type HTTPMethods } from 'fastify';
import { ZohoError } from '../errors/zoho-error.js';
import type { AppDeps } from './deps.js';
import { errorHandler, sendZohoError } from './error-handler.js';
import { registerPipeline } from './pipeline.js';
import { registerBulkWriteRoutes } from './routes/bulk-write.js';
import { registerDownloadRoutes } from './routes/download.js';
import { registerOAuthRoutes } from './routes/oauth.js';
import { registerRecordRoutes } from './routes/records.js';
import { registerUploadRoutes } from './routes/upload.js';

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** Every path the API serves, with its methods; any other method on it is INVALID_REQUEST_METHOD. */
const ROUTES: Array<{ url: string; methods: HTTPMethods[] }> = [
  { url: '/oauth/v2/token', methods: ['POST'] },
  { url: '/oauth/v2/auth', methods: ['POST'] },
  { url: '/oauth/v2/token/revoke', methods: ['POST'] },
  { url: '/crm/:version/upload', methods: ['POST'] },
  { url: '/crm/bulk/:version/write', methods: ['POST'] },
  { url: '/crm/bulk/:version/write/:jobId', methods: ['GET', 'HEAD'] },
  { url: '/:dl/crm/:orgId/bulk-write/:jobId/:fileName', methods: ['GET', 'HEAD'] },
  { url: '/crm/:version/settings/modules', methods: ['GET', 'HEAD'] },
  { url: '/crm/:version/settings/fields', methods: ['GET', 'HEAD'] },
  { url: '/crm/:version/:module', methods: ['GET', 'HEAD'] },
  { url: '/crm/:version/:module/search', methods: ['GET', 'HEAD'] },
  { url: '/crm/:version/:module/:id', methods: ['GET', 'HEAD'] },
];

/** Builds the HTTP app; it never listens (the caller does), so tests can use inject() or a real port. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: 4 * 1024 * 1024,
    // Zoho ids are 19 digits; keep route params as strings and accept trailing slashes.
    routerOptions: { ignoreTrailingSlash: true },
    return503OnClosing: false,
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((_req, reply) => sendZohoError(reply, new ZohoError('INVALID_URL_PATTERN')));
  // Before any route: a route takes the hooks present when it is added.
  registerPipeline(app, { storage: deps.storage, now: deps.now ?? Date.now });

  await app.register(multipart, { limits: { fileSize: deps.config.limits.maxUploadBytes, files: 1 } });
  // curl -d sends form-encoded bodies by default; the create-job route reads them as JSON text.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, body, done) => {
    if (req.url.startsWith('/oauth/')) done(null, Object.fromEntries(new URLSearchParams(String(body))));
    else done(null, body);
  });
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  registerOAuthRoutes(app, deps);
  registerUploadRoutes(app, deps);
  registerBulkWriteRoutes(app, deps);
  registerDownloadRoutes(app, deps);
  registerRecordRoutes(app, deps);

  for (const route of ROUTES) {
    const others = METHODS.filter((m) => !route.methods.includes(m));
    app.route({
      method: others,
      url: route.url,
      // The pipeline has answered a version Zoho never served as an unknown URL by now.
      handler: async (_req, reply) => sendZohoError(reply, new ZohoError('INVALID_REQUEST_METHOD')),
    });
  }
  return app;
}
