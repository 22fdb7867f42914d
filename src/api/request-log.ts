import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** An id a proxy or a client may pass in: short, and of characters that are safe in a log line. */
const GIVEN_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request id: the incoming X-Request-Id when it is a plain short token, else a new UUID. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && GIVEN_ID.test(given) ? given : randomUUID();
}

/**
 * Every answer carries its request id in X-Request-Id, and every request leaves one log line with it
 * (pino's `reqId`): at `error` for a 5xx, so an unexpected failure is seen at the default level, and at
 * `debug` for the rest. The line names the path without its query string, which may hold a token.
 */
export function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  app.addHook('onResponse', async (req, reply) => {
    const line = {
      method: req.method,
      path: req.url.split('?', 1)[0],
      statusCode: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    };
    if (reply.statusCode >= 500) req.log.error(line, 'request failed');
    else req.log.debug(line, 'request completed');
  });
}
