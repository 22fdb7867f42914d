import { SCHEMA_DATA_TYPES } from './data-types.js';
import { findModule, MODULES, type FieldDef, type FieldType, type ModuleDef } from './modules.js';
import { LINE_ITEM_MODULES } from './modules/inventory.js';
import { childModuleDef, lookup, SYSTEM_FIELDS, typed } from './modules/define.js';

/**
 * An org's custom modules and custom fields: a JSON document (docs/modules.md#custom-modules-and-fields)
 * loaded from a file at start or applied with `bulkwrite org schema apply`, stored per org, and merged with
 * the standard catalogue into the org's Catalogue. Records stay JSON, so applying needs no DDL and keeps
 * the data already stored.
 */

/** A custom-modules-and-fields document that is not valid; the message names where. */
export class OrgSchemaError extends Error {}

/** The modules and fields one org sees: the standard catalogue plus its custom modules and fields. */
export interface Catalogue {
  readonly modules: readonly ModuleDef[];
  /** The stored schema's version; 0 for the standard catalogue. */
  readonly version: number;
  find(ref: { apiName?: string | null; id?: string | null }): ModuleDef | undefined;
}

function makeCatalogue(modules: readonly ModuleDef[], version: number): Catalogue {
  const byName = new Map(modules.map((m) => [m.apiName.toLowerCase(), m]));
  const byId = new Map(modules.map((m) => [m.id, m]));
  return {
    modules,
    version,
    find(ref) {
      if (ref.apiName) return byName.get(ref.apiName.toLowerCase());
      if (ref.id) return byId.get(ref.id);
      return undefined;
    },
  };
}

/** Zoho's modules for bulk write and the line-item modules of its inventory modules. */
const STANDARD_MODULES: readonly ModuleDef[] = [...MODULES, ...LINE_ITEM_MODULES];

export const STANDARD_CATALOGUE: Catalogue = makeCatalogue(STANDARD_MODULES, 0);

/** Types Zoho fills itself or a CSV cell cannot carry: defined for reading, refused in a mapping. */
const NOT_WRITABLE: ReadonlySet<FieldType> = new Set([
  'multiselectlookup',
  'multiuserlookup',
  'autonumber',
  'formula',
  'fileupload',
]);
const DEFAULT_LENGTH: Partial<Record<FieldType, number>> = { text: 255, textarea: 2000, phone: 30, website: 255 };
const MAX_LENGTH: Partial<Record<FieldType, number>> = {
  text: 255,
  textarea: 32000,
  phone: 50,
  website: 255,
  // Number fields: digits (Zoho's field metadata and custom field limits).
  integer: 9,
  bigint: 18,
  decimal: 16,
  currency: 16,
  percent: 5,
};
const DECIMAL_TYPES: ReadonlySet<FieldType> = new Set(['decimal', 'currency', 'percent']);
const API_NAME = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;
const MAX_CUSTOM_MODULES = 100;
const MAX_CUSTOM_FIELDS = 500;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A custom module's id: 19 digits from the org and the API name (the 8th digit 1 keeps it apart from Zoho's). */
function customModuleId(orgId: string, apiName: string): string {
  let h = 0xcbf29ce484222325n;
  for (const c of `${orgId}/${apiName.toLowerCase()}`) {
    h ^= BigInt(c.codePointAt(0)!);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return `41508681${String(h % 100000000000n).padStart(11, '0')}`;
}

/** A subform field met while parsing: its rows' fields are parsed into a module of their own. */
interface PendingSubform {
  field: FieldDef;
  parent: string;
  raw: unknown[];
  at: string;
}

function parseField(
  raw: unknown,
  at: string,
  known: ReadonlySet<string>,
  subforms: PendingSubform[] | null,
  parent: string,
): FieldDef {
  if (!isObject(raw)) throw new OrgSchemaError(`${at} must be an object`);
  const apiName = raw.api_name;
  if (typeof apiName !== 'string' || !API_NAME.test(apiName)) {
    throw new OrgSchemaError(`${at}.api_name must be letters, digits and _, starting with a letter`);
  }
  if (known.has(apiName.toLowerCase())) throw new OrgSchemaError(`${at}.api_name ${apiName} is already a field`);
  const typeName = raw.data_type;
  const type = typeof typeName === 'string' ? SCHEMA_DATA_TYPES[typeName.toLowerCase()] : undefined;
  if (!type) throw new OrgSchemaError(`${at}.data_type must be one of ${Object.keys(SCHEMA_DATA_TYPES).join(', ')}`);
  const field: FieldDef = { apiName, type, custom: true };
  const length = raw.length ?? DEFAULT_LENGTH[type];
  if (length !== undefined) {
    const max = MAX_LENGTH[type];
    if (typeof length !== 'number' || !Number.isInteger(length) || length < 1 || (max && length > max)) {
      throw new OrgSchemaError(`${at}.length must be an integer from 1 to ${max ?? 'the type’s maximum'}`);
    }
    field.length = length;
  }
  const places = raw.decimal_place;
  if (places !== undefined && places !== null) {
    if (!DECIMAL_TYPES.has(type))
      throw new OrgSchemaError(`${at}.decimal_place applies to double, currency and percent fields`);
    if (
      typeof places !== 'number' ||
      !Number.isInteger(places) ||
      places < 0 ||
      places > 9 ||
      places >= (field.length ?? MAX_LENGTH[type]!)
    ) {
      throw new OrgSchemaError(`${at}.decimal_place must be an integer from 0 to 9, below the field's length`);
    }
    field.decimalPlaces = places;
  }
  for (const flag of ['mandatory', 'unique'] as const) {
    const v = raw[flag];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'boolean') throw new OrgSchemaError(`${at}.${flag} must be true or false`);
    if (v) field[flag] = true;
  }
  if (NOT_WRITABLE.has(type)) {
    if (field.mandatory) throw new OrgSchemaError(`${at}: a ${typeName as string} field cannot be mandatory`);
    field.readOnly = true;
  }
  if (type === 'picklist' || type === 'multiselectpicklist') {
    const values = raw.pick_list_values ?? [];
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string' || v.trim() === '')) {
      throw new OrgSchemaError(`${at}.pick_list_values must be an array of non-empty strings`);
    }
    field.picklist = values as string[];
  }
  if (type === 'subform') {
    if (subforms === null) throw new OrgSchemaError(`${at}: a subform cannot hold a subform`);
    if (field.mandatory) throw new OrgSchemaError(`${at}: a subform cannot be mandatory`);
    if (!Array.isArray(raw.fields) || raw.fields.length === 0) {
      throw new OrgSchemaError(`${at}.fields must be a non-empty array of the subform's fields`);
    }
    field.readOnly = true;
    field.subformModule = apiName;
    subforms.push({ field, parent, raw: raw.fields, at });
  }
  if (type === 'lookup' || type === 'multiselectlookup') {
    if (typeof raw.lookup_module !== 'string') throw new OrgSchemaError(`${at}.lookup_module is required`);
    field.lookupModule = raw.lookup_module;
  }
  if (type === 'multiselectlookup' || type === 'multiuserlookup') {
    // Zoho names a multi-user lookup's linking module `<Module>_X_Users` (its fields metadata sample).
    const linking =
      raw.linking_module ?? (type === 'multiuserlookup' ? `${parent}_X_Users` : `${parent}X${raw.lookup_module}`);
    if (typeof linking !== 'string' || !API_NAME.test(linking) || linking.length > 50) {
      throw new OrgSchemaError(
        `${at}.linking_module must be letters, digits and _ (at most 50), starting with a letter`,
      );
    }
    if (type === 'multiselectlookup' && raw.lookup_module === parent)
      throw new OrgSchemaError(`${at}: a multi-select lookup to its own module is not supported`);
    field.linkingModule = linking;
  }
  return field;
}

/**
 * Validates a schema document and returns it normalised (what is stored). Throws OrgSchemaError naming the
 * first problem, by its JSON path.
 */
export function parseOrgSchema(document: unknown, orgId: string): { normalised: string; catalogue: Catalogue } {
  if (!isObject(document)) {
    throw new OrgSchemaError('$ must be a JSON object with "modules", "fields" and/or "layouts"');
  }
  const rawModules = document.modules ?? [];
  const rawFields = document.fields ?? {};
  if (!Array.isArray(rawModules)) throw new OrgSchemaError('$.modules must be an array');
  if (!isObject(rawFields)) throw new OrgSchemaError('$.fields must be an object: standard module → array of fields');
  if (rawModules.length > MAX_CUSTOM_MODULES) throw new OrgSchemaError(`at most ${MAX_CUSTOM_MODULES} custom modules`);

  const custom: ModuleDef[] = [];
  const subforms: PendingSubform[] = [];
  const names = new Set(STANDARD_MODULES.map((m) => m.apiName.toLowerCase()));
  let fieldCount = 0;
  rawModules.forEach((raw, i) => {
    const at = `$.modules[${i}]`;
    if (!isObject(raw)) throw new OrgSchemaError(`${at} must be an object`);
    const apiName = raw.api_name;
    if (typeof apiName !== 'string' || !API_NAME.test(apiName) || apiName.length > 50) {
      throw new OrgSchemaError(`${at}.api_name must be letters, digits and _ (at most 50), starting with a letter`);
    }
    if (names.has(apiName.toLowerCase())) throw new OrgSchemaError(`${at}.api_name ${apiName} is already a module`);
    names.add(apiName.toLowerCase());
    if (!Array.isArray(raw.fields) || raw.fields.length === 0)
      throw new OrgSchemaError(`${at}.fields must be a non-empty array`);
    const known = new Set(SYSTEM_FIELDS.map((f) => f.apiName.toLowerCase()));
    const fields = raw.fields.map((f, j) => {
      const field = parseField(f, `${at}.fields[${j}]`, known, subforms, apiName);
      known.add(field.apiName.toLowerCase());
      return field;
    });
    fieldCount += fields.length;
    const display = raw.display_field ?? fields[0]!.apiName;
    const displayField = fields.find((f) => f.apiName === display);
    if (!displayField || displayField.type !== 'text') {
      throw new OrgSchemaError(`${at}.display_field must name one of its text fields`);
    }
    const singular = typeof raw.singular_label === 'string' ? raw.singular_label : apiName.replace(/_/g, ' ');
    custom.push({
      apiName,
      id: customModuleId(orgId, apiName),
      scopeName: 'custom',
      displayField: displayField.apiName,
      singularLabel: singular,
      custom: true,
      bulkWritable: true,
      fields: new Map([...SYSTEM_FIELDS, ...fields].map((f) => [f.apiName, f])),
    });
  });

  const extended = new Map<string, ModuleDef>();
  for (const [moduleName, list] of Object.entries(rawFields)) {
    const at = `$.fields.${moduleName}`;
    const base = findModule({ apiName: moduleName });
    if (!base || base.apiName !== moduleName) throw new OrgSchemaError(`${at}: ${moduleName} is not a standard module`);
    if (!Array.isArray(list)) throw new OrgSchemaError(`${at} must be an array of fields`);
    const known = new Set([...base.fields.keys()].map((n) => n.toLowerCase()));
    const fields = new Map(base.fields);
    list.forEach((f, j) => {
      const field = parseField(f, `${at}[${j}]`, known, subforms, base.apiName);
      known.add(field.apiName.toLowerCase());
      fields.set(field.apiName, field);
    });
    fieldCount += list.length;
    extended.set(base.apiName, { ...base, fields });
  }
  for (const sub of subforms) {
    const name = sub.field.apiName;
    if (names.has(name.toLowerCase())) throw new OrgSchemaError(`${sub.at}.api_name ${name} is already a module`);
    names.add(name.toLowerCase());
    const known = new Set(['id', 'parent_id', 'created_time', 'modified_time']);
    const fields = sub.raw.map((f, j) => {
      const field = parseField(f, `${sub.at}.fields[${j}]`, known, null, name);
      known.add(field.apiName.toLowerCase());
      return field;
    });
    fieldCount += fields.length;
    const parent = [...custom, ...MODULES].find((m) => m.apiName === sub.parent)!;
    const display = fields.find((f) => f.type === 'text');
    custom.push(
      childModuleDef(
        {
          apiName: name,
          id: customModuleId(orgId, name),
          scopeName: parent.scopeName,
          displayField: display?.apiName ?? 'id',
          custom: true,
          subformOf: sub.parent,
        },
        [lookup('Parent_Id', sub.parent, { mandatory: true, idOnly: true })],
        fields,
      ),
    );
  }
  // Each multi-select lookup keeps its pairs in a linking module with a lookup to either side, named
  // after the two modules (LeadsXProducts: Leads, Products); a multi-user lookup in one with a lookup to
  // the module and a user lookup, `Users` (Leads_X_Users: Leads, Users). Its rows are written as the
  // child resource of a parent/child job.
  for (const m of [...extended.values(), ...custom]) {
    for (const f of m.fields.values()) {
      if ((f.type !== 'multiselectlookup' && f.type !== 'multiuserlookup') || !f.linkingModule) continue;
      const name = f.linkingModule;
      if (names.has(name.toLowerCase())) {
        throw new OrgSchemaError(`${m.apiName}.${f.apiName}: linking module ${name} is already a module`);
      }
      names.add(name.toLowerCase());
      custom.push(
        childModuleDef(
          {
            apiName: name,
            id: customModuleId(orgId, name),
            scopeName: m.scopeName,
            displayField: 'id',
            custom: true,
            linkingOf: m.apiName,
          },
          [
            lookup(m.apiName, m.apiName, { mandatory: true, idOnly: true }),
            f.type === 'multiuserlookup'
              ? typed('Users', 'ownerlookup', { mandatory: true })
              : lookup(f.lookupModule!, f.lookupModule!, { mandatory: true }),
          ],
        ),
      );
    }
  }
  if (fieldCount > MAX_CUSTOM_FIELDS) throw new OrgSchemaError(`at most ${MAX_CUSTOM_FIELDS} custom fields in all`);

  const modules = [...MODULES.map((m) => extended.get(m.apiName) ?? m), ...LINE_ITEM_MODULES, ...custom];
  for (const m of modules) {
    for (const f of m.fields.values()) {
      if (f.custom && f.lookupModule && !modules.some((x) => x.apiName === f.lookupModule)) {
        throw new OrgSchemaError(`${m.apiName}.${f.apiName}.lookup_module ${f.lookupModule} is not a module`);
      }
    }
  }
  const withLayouts = applyLayouts(document.layouts, modules, orgId);
  const normalised = JSON.stringify({
    modules: rawModules,
    fields: rawFields,
    ...(document.layouts === undefined ? {} : { layouts: document.layouts }),
  });
  return { normalised, catalogue: makeCatalogue(withLayouts, 0) };
}

/**
 * `layouts`: module API name → the names of the org's own layouts besides `Standard` (which every module
 * has). Each gets a 19-digit id derived from the org, the module and the name, stable across applies.
 */
function applyLayouts(raw: unknown, modules: ModuleDef[], orgId: string): ModuleDef[] {
  if (raw === undefined || raw === null) return modules;
  if (!isObject(raw)) throw new OrgSchemaError('$.layouts must be an object: module → array of layout names');
  const out = [...modules];
  for (const [moduleName, names] of Object.entries(raw)) {
    const at = `$.layouts.${moduleName}`;
    const i = out.findIndex((m) => m.apiName === moduleName);
    const module = out[i];
    if (!module || !module.fields.has('Layout'))
      throw new OrgSchemaError(`${at}: ${moduleName} is not a module with layouts`);
    if (!Array.isArray(names)) throw new OrgSchemaError(`${at} must be an array of layout names`);
    const seen = new Set(['standard']);
    const layouts = names.map((n, j) => {
      if (typeof n !== 'string' || n.trim() === '' || n.length > 50 || /^\d+$/.test(n.trim())) {
        throw new OrgSchemaError(`${at}[${j}] must be a layout name of 1 to 50 characters, not only digits`);
      }
      const name = n.trim();
      if (seen.has(name.toLowerCase()))
        throw new OrgSchemaError(`${at}[${j}]: ${moduleName} already has a layout ${name}`);
      seen.add(name.toLowerCase());
      return { id: customModuleId(orgId, `${moduleName}/layout/${name.toLowerCase()}`), name };
    });
    out[i] = { ...module, layouts };
  }
  return out;
}

const cache = new Map<string, { version: number; catalogue: Catalogue }>();

/**
 * The org's catalogue from its stored schema (undefined: the standard one). Parsed once per schema
 * version and kept, so a request or a job pays one small storage read, not a parse.
 */
export function catalogueFor(orgId: string, stored: { document: string; version: number } | undefined): Catalogue {
  if (!stored) return STANDARD_CATALOGUE;
  const hit = cache.get(orgId);
  if (hit && hit.version === stored.version) return hit.catalogue;
  const { catalogue } = parseOrgSchema(JSON.parse(stored.document) as unknown, orgId);
  const versioned = makeCatalogue(catalogue.modules, stored.version);
  cache.set(orgId, { version: stored.version, catalogue: versioned });
  return versioned;
}
