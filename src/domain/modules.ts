import { ACTIVITY_MODULES } from './modules/activities.js';
import { INVENTORY_MODULES } from './modules/inventory.js';
import { SALES_MODULES } from './modules/sales.js';
import { SUPPORT_MODULES } from './modules/support.js';
import type { FieldDef, ModuleDef } from './module-def.js';

/**
 * The CRM modules bulkwrite accepts, with their real Zoho field API names, types, lengths, and
 * mandatory and unique fields: every module Zoho lists for bulk write (docs/modules.md). The
 * definitions live in modules/*.ts by area; this file is the catalogue's one entry point.
 */

export type { FieldDef, FieldType, ModuleDef } from './module-def.js';

export const MODULES: readonly ModuleDef[] = [
  ...SALES_MODULES,
  ...ACTIVITY_MODULES,
  ...SUPPORT_MODULES,
  ...INVENTORY_MODULES,
];

const BY_NAME = new Map(MODULES.map((m) => [m.apiName.toLowerCase(), m]));
const BY_ID = new Map(MODULES.map((m) => [m.id, m]));

/** Finds a module by API name (case-insensitive, as Zoho matches) or by its id. */
export function findModule(ref: { apiName?: string | null; id?: string | null }): ModuleDef | undefined {
  if (ref.apiName) return BY_NAME.get(ref.apiName.toLowerCase());
  if (ref.id) return BY_ID.get(ref.id);
  return undefined;
}

export function mandatoryFields(module: ModuleDef): FieldDef[] {
  return [...module.fields.values()].filter((f) => f.mandatory);
}

export function uniqueFields(module: ModuleDef): FieldDef[] {
  return [...module.fields.values()].filter((f) => f.unique);
}

/**
 * A field's id: 19 digits, stable across restarts and catalogue edits (derived from the module id and
 * the field's API name, not from its position).
 */
export function fieldId(module: ModuleDef, field: FieldDef): string {
  let h = 0x811c9dc5;
  const s = `${module.apiName}.${field.apiName}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${module.id.slice(0, 8)}${String(h).padStart(11, '0')}`;
}
