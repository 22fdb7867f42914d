import type { FastifyRequest } from 'fastify';
import type { TokenParams } from '../auth/oauth-token.js';

const read = new WeakMap<FastifyRequest, Promise<TokenParams>>();

/**
 * The fields of a token request: the query string, an urlencoded form or a multipart form (what the
 * official SDK sends). A multipart body is a stream read once, so the answer is kept per request: the
 * fault rules (request-faults.ts, to find the org of the form's client) and the route read the same fields.
 */
export function tokenParams(req: FastifyRequest): Promise<TokenParams> {
  let params = read.get(req);
  if (params === undefined) {
    params = readTokenParams(req);
    read.set(req, params);
  }
  return params;
}

async function readTokenParams(req: FastifyRequest): Promise<TokenParams> {
  const params: TokenParams = {};
  for (const [k, v] of Object.entries((req.query ?? {}) as Record<string, unknown>))
    if (typeof v === 'string') params[k] = v;
  if (req.isMultipart()) {
    for await (const part of req.parts({ limits: { fieldSize: 64 * 1024, files: 0 } })) {
      if (part.type === 'field' && typeof part.value === 'string') params[part.fieldname] = part.value;
    }
  } else if (req.body && typeof req.body === 'object') {
    for (const [k, v] of Object.entries(req.body as Record<string, unknown>)) if (typeof v === 'string') params[k] = v;
  }
  return params;
}
