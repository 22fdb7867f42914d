import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { exchangeToken, revokeToken } from '../../auth/oauth-token.js';
import { tokenParams } from '../token-params.js';
import { presentationOf, type AppDeps } from '../deps.js';
import { JSON_TYPE } from '../error-handler.js';

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
