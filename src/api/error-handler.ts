import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZohoError } from '../errors/zoho-error.js';

export const JSON_TYPE = 'application/json;charset=utf-8';

/** The seed's RESOURCE_NOT_FOUND body lists its keys status-first; every other error is code-first. */
function body(error: ZohoError): Record<string, unknown> {
  const wire = error.toWire();
  if (error.code === 'RESOURCE_NOT_FOUND')
    return { status: wire.status, code: wire.code, message: wire.message, details: wire.details };
  return { ...wire };
}

export function sendZohoError(reply: FastifyReply, error: ZohoError, httpStatus = error.httpStatus): FastifyReply {
  return reply
    .code(httpStatus)
    .header('content-type', JSON_TYPE)
    .send(JSON.stringify(body(error)));
}

/**
 * The one error handler: Zoho errors as they are; framework errors mapped to Zoho codes; anything else
 * INTERNAL_ERROR, logged with its stack, never leaked. Bodies reach the routes as text (app.ts), so a
 * body that is not JSON is the route's own INVALID_DATA, never a parser error here.
 */
export function errorHandler(
  error: FastifyError | ZohoError | Error,
  req: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (error instanceof ZohoError) return sendZohoError(reply, error);
  const code = (error as FastifyError).code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return sendZohoError(
      reply,
      new ZohoError('LIMIT_EXCEEDED', { message: 'the request body is too large', httpStatus: 413 }),
    );
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') {
    return sendZohoError(
      reply,
      new ZohoError('INVALID_DATA', { message: 'unsupported content type', details: { header: 'Content-Type' } }),
    );
  }
  // The console's static file server (@fastify/send) refuses a path it will not serve (`/console//`, a
  // dotfile, `..`) or a range it cannot with an HTTP error of its own: a client's mistake, answered as
  // Zoho answers an unknown path, or as a request it cannot serve, never as a server error.
  const status = (error as { statusCode?: unknown; expose?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500 && (error as { expose?: unknown }).expose === true) {
    return status === 403 || status === 404
      ? sendZohoError(reply, new ZohoError('INVALID_URL_PATTERN'))
      : sendZohoError(reply, new ZohoError('INVALID_REQUEST', { message: error.message, httpStatus: status }));
  }
  req.log.error({ err: error }, 'unhandled error');
  return sendZohoError(reply, new ZohoError('INTERNAL_ERROR'));
}
