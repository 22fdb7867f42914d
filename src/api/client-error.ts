import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ZohoError } from '../errors/zoho-error.js';

/** Node's limit on a request's line and headers together (`http.maxHeaderSize`, 16 KiB). */
export const MAX_HEADER_BYTES = 16 * 1024;

/** The Zoho error for a request Node's HTTP parser refused, before Fastify saw it. */
function clientErrorOf(err: NodeJS.ErrnoException): ZohoError {
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return new ZohoError('LIMIT_EXCEEDED', {
      message: 'the request line and headers are too long',
      details: { reason: 'header-size', max_bytes: MAX_HEADER_BYTES },
      httpStatus: 431,
    });
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new ZohoError('INVALID_REQUEST', { message: 'the request was not received in time', httpStatus: 408 });
  }
  return new ZohoError('INVALID_REQUEST', { message: 'the request is not valid HTTP' });
}

/**
 * Fastify's `clientErrorHandler`: a request Node's parser refuses (headers or URL over 16 KiB, a broken
 * request line, a timeout) is answered in Zoho's envelope instead of Node's or Fastify's own body, then
 * the connection is closed, as Node does.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // As Node does: no answer when one is already being written on this connection.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const error = clientErrorOf(err);
    const body = JSON.stringify(error.toWire());
    socket.write(
      `HTTP/1.1 ${error.httpStatus} ${STATUS_CODES[error.httpStatus] ?? 'Error'}\r\n` +
        `Content-Type: application/json;charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
