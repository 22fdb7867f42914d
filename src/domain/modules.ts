import { ACTIVITY_MODULES } from './modules/activities.js';
import { INVENTORY_MODULES } from './modules/inventory.js';
import { SALES_MODULES } from './modules/sales.js';
import { SUPPORT_MODULES } from './modules/support.js';

/**
 * The CRM modules bulkwrite accepts, with their real Zoho field API names, types, lengths, and
 * mandatory and unique fields: every module Zoho lists for bulk write (docs/modules.md). The
 * definitions live in modules/*.ts by area; this file is the catalogue's one entry point.
 */

export type FieldType =
  | 'text'
  | 'textarea'
  | 'email'
  | 'phone'
  | 'website'
  | 'integer'
  | 'bigint'
  | 'decimal'
  | 'currency'
  | 'percent'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'picklist'
  | 'multiselectpicklist'
  | 'lookup'
  | 'ownerlookup'
  | 'multiselectlookup'
  | 'autonumber'
  | 'formula'
  | 'fileupload'
  | 'subform'
  | 'layout'
  | 'id';

export interface FieldDef {
  apiName: string;
  type: FieldType;
  /** Maximum length in characters, for text-like fields. */
  length?: number;
  mandatory?: boolean;
  unique?: boolean;
  /**
   * Fields bulk write cannot set: Zoho sets them itself (Created_Time, Modified_By, formula, auto-number)
   * or they hold structured values a CSV cell cannot carry (file upload, subform, multi-select lookup):
   * a mapping to one is INVALID_FIELD.
   */
  readOnly?: boolean;
  lookupModule?: string;
  /** A multi-module lookup (Tasks' What_Id): the row's `$se_module` cell names the target module. */
  lookupModules?: string[];
  /** A lookup matched by record id only (`Parent_Id` of a subform row): `find_by` other than id is refused. */
  idOnly?: boolean;
  /** A subform field of a parent module: the subform module that holds its rows. */
  subformModule?: string;
  /** Multi-select lookups: the linking module Zoho keeps the pairs in. */
  linkingModule?: string;
  picklist?: string[];
  /** A picklist whose values are fixed (`$se_module`): an unknown value is INVALID_DATA, not a new option. */
  strictPicklist?: boolean;
  custom?: boolean;
}

export interface ModuleDef {
  apiName: string;
  id: string;
  /** The module's name in OAuth scopes (ZohoCRM.modules.leads.ALL, ….pricebooks.ALL, ….custom.ALL). */
  scopeName: string;
  displayField: string;
  singularLabel: string;
  custom: boolean;
  bulkWritable: boolean;
  /** A subform module (its rows are written by a bulk write job of their own): the parent module's API name. */
  subformOf?: string;
  /**
   * A linking module (the pairs of a multi-select lookup): the module whose field it serves. Its rows are
   * written only as the child resource of a parent/child job whose parent is that module.
   */
  linkingOf?: string;
  fields: Map<string, FieldDef>;
}

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
