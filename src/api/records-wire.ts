import { ZOHO_DATA_TYPE } from '../domain/data-types.js';
import type { ApiVersion } from '../domain/api-versions.js';
import { fieldId, type FieldDef, type FieldType, type ModuleDef } from '../domain/modules.js';
import { findLayout } from '../domain/layouts.js';
import { NUMBER_LIMITS } from '../domain/field-values.js';
import { toZohoTime } from '../domain/time.js';
import type { Org, RecordValue, StoredRecord, User } from '../domain/types.js';

/**
 * Stored records and the module catalogue ⇄ the JSON of Zoho's records and metadata APIs
 * (`GET /crm/{version}/{module}`, `/settings/modules`, `/settings/fields`). Shapes follow the official
 * SDK's models (json_details.json of @zohocrm/typescript-sdk-2.1) and Zoho's OAS v8 `record.json`.
 */

/** What a record view needs besides the record: the names of the users and lookup targets it points at. */
export interface RecordRefs {
  users: ReadonlyMap<string, User>;
  /** Lookup target record id → its display name. */
  names: ReadonlyMap<string, string>;
  org: Org;
  /** Subform field → parent record id → its rows, already rendered. */
  subforms?: ReadonlyMap<string, ReadonlyMap<string, unknown[]>>;
}

const LOOKUP_TYPES: ReadonlySet<FieldType> = new Set(['lookup']);

/** Full_Name is derived, as Zoho derives it: First_Name and Last_Name joined by a space. */
export function displayNameOf(module: ModuleDef, data: StoredRecord['data']): string {
  if (module.displayField === 'Full_Name') {
    return [data.First_Name, data.Last_Name].filter((v) => v !== undefined && v !== null && v !== '').join(' ');
  }
  const v = data[module.displayField];
  return v === undefined || v === null ? '' : String(v);
}

function userRef(id: string | undefined, refs: RecordRefs) {
  if (!id) return null;
  const user = refs.users.get(id);
  return { name: user?.name ?? null, id, email: user?.email ?? null };
}

/** One record as Zoho's records API answers it: every field by API name (null when unset), and `id`. */
export function toRecord(module: ModuleDef, record: StoredRecord, refs: RecordRefs, only: ReadonlySet<string> | null) {
  const out: Record<string, unknown> = {};
  const want = (name: string) => only === null || only.has(name);
  for (const field of module.fields.values()) {
    const name = field.apiName;
    if (field.type === 'id' || !want(name)) continue;
    out[name] = fieldValue(module, field, record, refs);
  }
  out.id = record.id;
  return out;
}

function fieldValue(module: ModuleDef, field: FieldDef, record: StoredRecord, refs: RecordRefs): unknown {
  const name = field.apiName;
  switch (name) {
    case 'Created_Time':
      return toZohoTime(record.createdAt, refs.org.timeZone);
    case 'Modified_Time':
      return toZohoTime(record.modifiedAt, refs.org.timeZone);
    case 'Created_By':
    case 'Modified_By':
      // bulkwrite does not track the writing user per record: the org's primary user wrote it.
      return userRef(refs.org.user.id, refs);
    case 'Full_Name':
      return displayNameOf(module, record.data) || null;
    default:
      break;
  }
  if (field.type === 'subform' || field.type === 'multiuserlookup')
    return refs.subforms?.get(name)?.get(record.id) ?? null;
  const v: RecordValue | undefined = record.data[name];
  if (v === undefined || v === null) return field.type === 'boolean' ? false : null;
  if (field.type === 'ownerlookup') return userRef(String(v), refs);
  if (field.type === 'layout') return { name: findLayout(module, String(v))?.name ?? null, id: String(v) };
  if (LOOKUP_TYPES.has(field.type)) {
    const id = String(v);
    return { name: refs.names.get(id) ?? null, id };
  }
  if (field.type === 'multiselectlookup' && Array.isArray(v)) {
    return v.map((id) => ({ name: refs.names.get(id) ?? null, id }));
  }
  return v;
}

/** `info` of a list answer: `count` is the number of records in this page. */
export function toInfo(perPage: number, count: number, page: number, moreRecords: boolean) {
  return { per_page: perPage, count, page, more_records: moreRecords };
}

const JSON_TYPE: Partial<Record<FieldType, string>> = {
  integer: 'integer',
  decimal: 'double',
  currency: 'double',
  percent: 'double',
  boolean: 'boolean',
  lookup: 'jsonobject',
  ownerlookup: 'jsonobject',
  multiselectpicklist: 'jsonarray',
  multiselectlookup: 'jsonarray',
  multiuserlookup: 'jsonarray',
  subform: 'jsonarray',
  fileupload: 'jsonarray',
};

function label(apiName: string): string {
  return apiName.replace(/_/g, ' ');
}

/** A module reference inside field metadata: a plain API name up to v2.1 (the 2.1 SDK's `String`), `{api_name, id}` after. */
function moduleRef(module: ModuleDef | undefined, apiName: string, version: ApiVersion) {
  return version.name === 'v2' || version.name === 'v2.1' ? apiName : { api_name: apiName, id: module?.id ?? null };
}

/** Zoho's `decimal_place`: for decimal, currency and percent fields. */
function decimalPlaces(field: FieldDef): number | null {
  const places = NUMBER_LIMITS[field.type]?.places;
  return places === undefined || places === 0 ? null : (field.decimalPlaces ?? places);
}

/** One field as `GET /crm/{version}/settings/fields?module=` answers it. */
export function toFieldMeta(
  module: ModuleDef,
  field: FieldDef,
  version: ApiVersion,
  findModule: (apiName: string) => ModuleDef | undefined,
) {
  const out: Record<string, unknown> = {
    api_name: field.apiName,
    id: fieldId(module, field),
    field_label: label(field.apiName),
    display_label: label(field.apiName),
    data_type: ZOHO_DATA_TYPE[field.type],
    json_type: JSON_TYPE[field.type] ?? 'string',
    length: field.length ?? NUMBER_LIMITS[field.type]?.digits ?? 255,
    system_mandatory: field.mandatory === true,
    read_only: field.readOnly === true,
    field_read_only: field.readOnly === true,
    custom_field: field.custom === true,
    visible: true,
    display_field: field.apiName === module.displayField,
    unique: field.unique ? { casesensitive: 'false' } : null,
    decimal_place: decimalPlaces(field),
    pick_list_values: (field.picklist ?? []).map((v, i) => ({
      display_value: v,
      actual_value: v,
      sequence_number: i + 1,
    })),
    lookup: null as unknown,
    bulk_writable: field.readOnly !== true && field.type !== 'subform',
  };
  if (field.type === 'lookup' && field.lookupModule) {
    const target = findModule(field.lookupModule);
    out.lookup = {
      display_label: label(field.apiName),
      api_name: field.apiName,
      module: moduleRef(target, field.lookupModule, version),
      id: fieldId(module, field),
    };
  }
  if (field.type === 'multiselectlookup' && field.lookupModule) {
    out.multiselectlookup = {
      display_label: label(field.apiName),
      linking_module: field.linkingModule ?? null,
      connected_module: field.lookupModule,
      api_name: field.apiName,
    };
  }
  if (field.type === 'multiuserlookup') {
    // Zoho's fields metadata: the linking module, and its lookup to the users.
    out.multiuserlookup = {
      display_label: 'Users',
      linking_module: field.linkingModule ?? null,
      connected_module: null,
      api_name: field.apiName,
      connectedlookup_apiname: 'Users',
      lookup_apiname: module.apiName,
    };
  }
  if (field.lookupModules) out.multi_module_lookup = { modules: field.lookupModules };
  if (field.subformModule) {
    const sub = findModule(field.subformModule);
    out.subform = { module: moduleRef(sub, field.subformModule, version), id: sub?.id ?? null };
  }
  return out;
}

/** One module as `GET /crm/{version}/settings/modules` answers it. */
export function toModuleMeta(module: ModuleDef, index: number, version: ApiVersion) {
  return {
    api_name: module.apiName,
    id: module.id,
    module_name: module.apiName,
    singular_label: module.singularLabel,
    plural_label: label(module.apiName),
    generated_type: module.subformOf ? 'subform' : module.custom ? 'custom' : 'default',
    api_supported: !module.subformOf,
    creatable: true,
    editable: true,
    deletable: true,
    viewable: true,
    visible: true,
    show_as_tab: true,
    sequence_number: index + 1,
    ...(version.name === 'v2' || version.name === 'v2.1' ? {} : { display_field: module.displayField }),
    bulk_write_supported: module.bulkWritable,
  };
}
