import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { FastifyInstance } from 'fastify';
import { ZohoError } from '../errors/zoho-error.js';
import { sendZohoError } from './error-handler.js';
import { requireVersion } from './pipeline.js';

/** The methods a client is told are wrong for a served path (OPTIONS and TRACE too, as every other wrong method). */
const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE']);

/** All patterns share one tree of this router, under this one method, so the most specific path wins. */
const ANY: HTTPMethod = 'GET';

/**
 * Zoho answers a method that a path does not serve with INVALID_REQUEST_METHOD (HTTP 400), where Fastify
 * would say 404, or would hand the request to a less specific route of that method (GET /crm/v8/upload is
 * no record of a module "upload"). Every route added to `app` after this call is noted (onRoute) in a
 * table of paths and the methods that serve them; a request whose most specific path is not served for
 * its method is answered before it is read. A version Zoho never served stays an unknown URL, as the
 * pipeline says for the routes themselves. Call it before any route is added.
 */
export function answerUnservedMethods(app: FastifyInstance, routerOptions: { ignoreTrailingSlash: boolean }): void {
  const table = FindMyWay(routerOptions);
  const methodsOf = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    let methods = methodsOf.get(route.url);
    if (!methods) {
      methodsOf.set(route.url, (methods = new Set()));
      table.on(ANY, route.url, () => {}, methods);
    }
    for (const method of [route.method].flat()) methods.add(method.toUpperCase());
  });

  app.addHook('onRequest', async (req, reply) => {
    if (!METHODS.has(req.method)) return;
    const found = table.find(ANY, req.url);
    const methods = found?.store as Set<string> | undefined;
    if (!found || !methods || methods.has(req.method)) return;
    if (found.params.version !== undefined) requireVersion(found.params.version);
    return sendZohoError(reply, new ZohoError('INVALID_REQUEST_METHOD'));
  });
}
