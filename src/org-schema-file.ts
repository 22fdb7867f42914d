import { readFileSync } from 'node:fs';
import { parseOrgSchema, OrgSchemaError } from './domain/org-schema.js';
import type { Storage, StoredOrgSchema } from './storage/storage.js';

/**
 * Applies a custom-modules-and-fields document to an org: validates it (OrgSchemaError says what is wrong),
 * then stores it unless the org already has exactly this document. Running servers and workers pick it
 * up on their next request or job; stored records are untouched.
 */
export async function applyOrgSchema(
  storage: Storage,
  orgId: string,
  text: string,
  now: number,
): Promise<{ schema: StoredOrgSchema; changed: boolean; modules: number; fields: number }> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (e) {
    throw new OrgSchemaError(`the schema is not valid JSON: ${(e as Error).message}`);
  }
  const { normalised, catalogue } = parseOrgSchema(document, orgId);
  const custom = catalogue.modules.filter((m) => m.custom).length;
  const fields = catalogue.modules.reduce((n, m) => n + [...m.fields.values()].filter((f) => f.custom).length, 0);
  const stored = await storage.schemas.get(orgId);
  if (stored && stored.document === normalised) return { schema: stored, changed: false, modules: custom, fields };
  return { schema: await storage.schemas.put(orgId, normalised, now), changed: true, modules: custom, fields };
}

export async function applyOrgSchemaFile(storage: Storage, orgId: string, path: string, now: number) {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new OrgSchemaError(`cannot read the schema file ${path}: ${(e as Error).message}`);
  }
  try {
    return await applyOrgSchema(storage, orgId, text, now);
  } catch (e) {
    if (e instanceof OrgSchemaError) throw new OrgSchemaError(`${path}: ${e.message}`);
    throw e;
  }
}
