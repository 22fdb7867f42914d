import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Org } from '../../domain/types.js';
import { ZohoError } from '../../errors/zoho-error.js';
import type { Storage } from '../../storage/storage.js';
import { JSON_TYPE } from '../error-handler.js';

/**
 * What every admin route shares: JSON bodies read as objects, JSON answers, and errors that name what
 * was wrong (Zoho's envelope: `INVALID_DATA` with the offending `field`, `RESOURCE_NOT_FOUND` for an
 * org that does not exist).
 */

export type JsonObject = Record<string, unknown>;

export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', JSON_TYPE).send(JSON.stringify(body));
}

/** A refusal of one field of an admin body. */
export function badField(field: string, message: string): ZohoError {
  return new ZohoError('INVALID_DATA', { message, details: { field } });
}

/** The body as a JSON object; an empty body is `{}`. Keys other than `allowed` are refused by name. */
export function jsonBody(req: FastifyRequest, allowed: readonly string[]): JsonObject {
  const raw = typeof req.body === 'string' ? req.body : '';
  if (raw.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ZohoError('INVALID_DATA', { message: 'the request body is not valid JSON', details: { field: '$' } });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ZohoError('INVALID_DATA', { message: 'the request body must be a JSON object', details: { field: '$' } });
  const unknown = Object.keys(value).find((k) => !allowed.includes(k));
  if (unknown !== undefined)
    throw badField(unknown, `unknown key "${unknown}"; this call takes ${allowed.map((k) => `"${k}"`).join(', ')}`);
  return value as JsonObject;
}

/** A whole number in [min, max], or undefined when absent (null counts as absent). */
export function optionalInt(body: JsonObject, field: string, min: number, max: number): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
    throw badField(field, `${field} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return v;
}

/** A string of 1 to `max` characters, or undefined when absent. */
export function optionalString(body: JsonObject, field: string, max: number): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.trim() === '' || v.length > max)
    throw badField(field, `${field} must be a non-empty string of at most ${max} characters`);
  return v;
}

/** The org a path names, or RESOURCE_NOT_FOUND (404) naming it. */
export async function orgOf(storage: Storage, orgId: string): Promise<Org> {
  const org = /^\d{1,19}$/.test(orgId) ? await storage.orgs.get(orgId) : undefined;
  if (!org)
    throw new ZohoError('RESOURCE_NOT_FOUND', {
      message: `no org ${JSON.stringify(orgId)} in this store (GET /_bulkwrite/orgs lists them)`,
      details: { org_id: orgId },
      httpStatus: 404,
    });
  return org;
}

/** An org as the admin API and `bulkwrite org --json` show it. */
export const orgJson = (org: Org) => ({
  org_id: org.id,
  name: org.name,
  time_zone: org.timeZone,
  created_time: new Date(org.createdAt).toISOString(),
  user: { id: org.user.id, name: org.user.name, email: org.user.email },
});
