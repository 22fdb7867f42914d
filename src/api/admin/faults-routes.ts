import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import { faultRuleToWire, parseFaultRule } from '../../domain/faults.js';
import { ZohoError } from '../../errors/zoho-error.js';
import type { AppDeps } from '../deps.js';
import { JSON_TYPE } from '../error-handler.js';
import { requestFaultRules } from '../request-faults.js';

function parseJson(body: unknown): unknown {
  if (typeof body !== 'string' || body.trim() === '') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    throw new ZohoError('INVALID_DATA', { message: 'the request body is not valid JSON', details: { json_path: '$' } });
  }
}

const send = (reply: FastifyReply, status: number, body: unknown) =>
  reply.code(status).header('content-type', JSON_TYPE).send(JSON.stringify(body));

const notFound = (what: string, id: string) =>
  new ZohoError('RESOURCE_NOT_FOUND', { httpStatus: 404, message: `no ${what} ${id}`, details: { id } });

/**
 * The faults API (docs/admin-api.md, "Faults"): `POST /faults` → {id}, `GET /faults`, `DELETE /faults/{id}`,
 * `DELETE /faults`, and `POST /jobs/{id}/release` for a job a `hold` effect keeps ADDED. Rules go to the
 * store, so every process sees them; this process's request-rule cache is refreshed at once.
 */
export function faultRoutes(deps: AppDeps): FastifyPluginAsync {
  const now = deps.now ?? Date.now;
  const { storage } = deps;
  const changed = () => requestFaultRules(storage).invalidate();
  return async (app: FastifyInstance) => {
    app.post('/faults', async (req, reply) => {
      const rule = parseFaultRule(parseJson(req.body), randomUUID(), now());
      await storage.faults.add(rule);
      // A job effect that names its job is bound now (the next job of an org is bound when it is created).
      if (rule.effect.kind === 'job' && rule.match.jobId !== null && (await storage.faults.fire(rule.id)))
        await storage.faults.bindJob({ jobId: rule.match.jobId, ruleId: rule.id, effect: rule.effect.job });
      changed();
      return send(reply, 201, { id: rule.id });
    });

    app.get('/faults', async (_req, reply) =>
      send(reply, 200, { faults: (await storage.faults.list()).map(faultRuleToWire) }),
    );

    app.delete<{ Params: { id: string } }>('/faults/:id', async (req, reply) => {
      const removed = await storage.faults.remove(req.params.id);
      changed();
      if (!removed) throw notFound('fault rule', req.params.id);
      return send(reply, 200, { deleted: 1 });
    });

    app.delete('/faults', async (_req, reply) => {
      const deleted = await storage.faults.clear();
      changed();
      return send(reply, 200, { deleted });
    });

    app.post<{ Params: { jobId: string } }>('/jobs/:jobId/release', async (req, reply) => {
      const { jobId } = req.params;
      if (!(await storage.faults.release(jobId))) throw notFound('held job', jobId);
      deps.onJobCreated?.(jobId);
      return send(reply, 200, { released: jobId });
    });
  };
}
