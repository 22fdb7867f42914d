import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { exchangeToken, revokeToken, type TokenParams } from '../../auth/oauth-token.js';
import { presentationOf, type AppDeps } from '../deps.js';
import { JSON_TYPE } from '../error-handler.js';

/** Fields from the query string, an urlencoded form or a multipart form (what the official SDK sends). */
async function tokenParams(req: FastifyRequest): Promise<TokenParams> {
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

/**
 * The accounts server's endpoints, in a plugin of their own: only here is an urlencoded body a form
 * (elsewhere it is the text of a JSON body, as curl -d sends it). They ask for no access token.
 */
export function oauthRoutes(deps: AppDeps): FastifyPluginAsync {
  const now = deps.now ?? Date.now;
  return async (app) => {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );

    const exchange = async (req: FastifyRequest) => {
      const answer = await exchangeToken(deps.storage, await tokenParams(req), {
        now: now(),
        tokenTtlSeconds: deps.config.tokenTtlSeconds,
        apiDomain: presentationOf(deps).apiDomain,
        rateLimit: deps.config.tokenRateLimit,
      });
      return JSON.stringify(answer);
    };
    for (const url of ['/oauth/v2/token', '/oauth/v2/auth']) {
      app.post(url, async (req, reply) => {
        const body = await exchange(req);
        return reply.code(200).header('content-type', JSON_TYPE).send(body);
      });
    }
    app.post('/oauth/v2/token/revoke', async (req, reply) => {
      const answer = await revokeToken(deps.storage, await tokenParams(req), now());
      return reply.code(answer.httpStatus).header('content-type', JSON_TYPE).send(JSON.stringify(answer.body));
    });
  };
}
