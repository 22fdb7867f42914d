import { sleep } from './abort.js';
import type { TokenSource } from './auth.js';
import { ZohoApiError, type Step } from './errors.js';
import { SchemaError, type Schema } from './schema-kit.js';

export interface Transport {
  fetch: typeof fetch;
  tokens: TokenSource;
  userAgent: string;
  /** Extra attempts for idempotent requests (GET) on network errors, 429 and 502/503/504. */
  retries: number;
  retryBaseMs: number;
}

export interface ExchangeRequest {
  step: Step;
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  /** Builds the body for an attempt; `replayable` false when it can be built only once (a caller's stream). */
  body?: { build: () => { body: NonNullable<RequestInit['body']>; duplex?: 'half' }; replayable: boolean };
  signal?: AbortSignal | undefined;
}

/** Codes after which one retry with a renewed token may succeed (Zoho sometimes says AUTHENTICATION_FAILURE). */
const TOKEN_REFUSED = new Set(['INVALID_TOKEN', 'AUTHENTICATION_FAILURE']);
const RETRY_STATUSES = new Set([429, 502, 503, 504]);

function isJsonType(contentType: string | null): boolean {
  return contentType !== null && /(^|\/|\+)json\b|^text\/plain/i.test(contentType.split(';')[0]!.trim());
}

/** Turns an error answer (Zoho's envelope, the upload or download server's envelopes, or anything else) into the error's fields. */
function classify(
  status: number,
  body: unknown,
  text: string,
  contentType: string | null,
): { code: string; message: string; details: Record<string, unknown> } | null {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    if (b.status === 'error' && typeof b.code === 'string') {
      const details = typeof b.details === 'object' && b.details !== null ? (b.details as Record<string, unknown>) : {};
      return { code: b.code, message: typeof b.message === 'string' ? b.message : b.code, details };
    }
    // The upload host's envelope (spec §3.3): {"ERROR_CODE":401,"ERROR_MESSAGE":"Unauthorized…"}.
    if ('ERROR_CODE' in b) {
      const unauthorized = b.ERROR_CODE === 401 || status === 401;
      const message = String(b['x-error'] ?? b.ERROR_MESSAGE ?? `error ${String(b.ERROR_CODE)}`);
      return { code: unauthorized ? 'INVALID_TOKEN' : 'BAD_REQUEST', message, details: { ...b } };
    }
    // The download host's envelope (spec §6): {"info":"Forbidden","x-info":"Link not valid"}; an API
    // answer with `data` beside its `info` object (bulk read's create) is not one.
    if ('x-info' in b || ('info' in b && !('data' in b))) {
      const linkInvalid = /link not valid/i.test(String(b['x-info']));
      return {
        code: linkInvalid ? 'LINK_NOT_VALID' : 'FORBIDDEN',
        message: String(b['x-info'] ?? b.info),
        details: { ...b },
      };
    }
  }
  if (status >= 400 || body === undefined) {
    return {
      code: 'UNEXPECTED_RESPONSE',
      message: `answered HTTP ${status} with ${contentType ?? 'no content type'}, not a Zoho JSON body`,
      details: { content_type: contentType, body_start: text.slice(0, 200) },
    };
  }
  return null;
}

function retryDelay(res: Response | null, attempt: number, baseMs: number): number {
  const after = res?.headers.get('retry-after');
  if (after && /^\d+$/.test(after)) return Math.min(Number(after) * 1000, 30_000);
  return baseMs * 2 ** attempt;
}

/**
 * One logical request: authorizes it, sends it, and classifies the answer. A refused token is renewed
 * and the request sent once more (when its body can be rebuilt); idempotent requests are retried on
 * network errors and 429/502/503/504. Returns the response unread when `binary` and it is not JSON.
 */
export async function exchange(
  t: Transport,
  req: ExchangeRequest,
  binary = false,
): Promise<{ res: Response; json: unknown }> {
  let renewed = false;
  let token = await t.tokens.token(req.signal);
  for (let attempt = 0; ; attempt++) {
    const fail = (init: { code: string; httpStatus: number; message: string; details?: Record<string, unknown> }) =>
      new ZohoApiError({ ...init, step: req.step, method: req.method, url: req.url });
    const idempotent = req.method === 'GET';
    const built = req.body?.build();
    let res: Response;
    try {
      res = await t.fetch(req.url, {
        method: req.method,
        headers: { ...req.headers, authorization: `Zoho-oauthtoken ${token}`, 'user-agent': t.userAgent },
        ...(built ? built : {}),
        ...(req.signal ? { signal: req.signal } : {}),
      } as RequestInit);
    } catch (e) {
      if (req.signal?.aborted) throw req.signal.reason;
      if (idempotent && attempt < t.retries) {
        await sleep(retryDelay(null, attempt, t.retryBaseMs), req.signal);
        continue;
      }
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const origin = new URL(req.url).origin;
      throw fail({
        code: 'NETWORK_ERROR',
        httpStatus: 0,
        message: `cannot reach ${origin}${cause?.code ? ` (${cause.code})` : cause?.message ? ` (${cause.message})` : ''}`,
        details: { cause: cause?.code ?? cause?.message ?? String(e), origin },
      });
    }

    const contentType = res.headers.get('content-type');
    if (binary && res.ok && !isJsonType(contentType)) return { res, json: undefined };

    const text = await res.text();
    let json: unknown;
    try {
      json = text.trim() === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    const error = classify(res.status, json, text, contentType);
    if (!error) {
      if (binary) {
        throw fail({
          code: 'UNEXPECTED_RESPONSE',
          httpStatus: res.status,
          message: 'the download answered with JSON, not a zip',
          details: { content_type: contentType, body_start: text.slice(0, 200) },
        });
      }
      return { res, json };
    }

    if (TOKEN_REFUSED.has(error.code) && !renewed) {
      const next = !req.body || req.body.replayable ? await t.tokens.replace(token, req.signal) : null;
      if (next) {
        renewed = true;
        token = next;
        continue;
      }
    }
    if (idempotent && attempt < t.retries && RETRY_STATUSES.has(res.status)) {
      await sleep(retryDelay(res, attempt, t.retryBaseMs), req.signal);
      continue;
    }
    throw fail({ ...error, httpStatus: res.status });
  }
}

/** A JSON request whose success body must match `schema`. */
export async function requestJson<T>(t: Transport, req: ExchangeRequest, schema: Schema<T>): Promise<T> {
  const { res, json } = await exchange(t, req);
  try {
    return schema.parse(json);
  } catch (e) {
    if (!(e instanceof SchemaError)) throw e;
    throw new ZohoApiError({
      code: 'UNEXPECTED_RESPONSE',
      httpStatus: res.status,
      message: `the answer does not have the shape of Zoho's ${req.step} response: ${e.message}`,
      details: { path: e.path, expected: e.expected, content_type: res.headers.get('content-type') },
      step: req.step,
      method: req.method,
      url: req.url,
    });
  }
}
