import { ZohoError } from '../errors/zoho-error.js';
import { V2_1, type ApiVersion } from './api-versions.js';
import { compileDatePattern } from './date-pattern.js';
import { ZOHO_DATA_TYPE } from './data-types.js';
import { findLayout, layoutsOf } from './layouts.js';
import { NUMBER_LIMITS } from './field-values.js';
import { compileNumberFormat } from './number-format.js';
import { mandatoryFields, type FieldDef, type ModuleDef } from './modules.js';
import { STANDARD_CATALOGUE, type Catalogue } from './org-schema.js';
import { isParentLink, linksToParent, MAX_CSVS_PER_ZIP } from './parent-child.js';
import {
  OPERATIONS,
  type CsvEntrySummary,
  type FieldMapping,
  type JobResource,
  type JobSpec,
  type Operation,
  type UploadedFile,
} from './types.js';

export interface JobRequestContext {
  /** Files already fetched for the org, by id; a missing one is INVALID_FILE_ID. */
  files: ReadonlyMap<string, UploadedFile>;
  limits: { maxRows: number; maxColumns: number };
  /** The API version of the request's URL (default v2.1): it decides the few keys that differ. */
  version?: ApiVersion;
  /** The org's modules and fields (default: the standard catalogue). */
  catalogue?: Catalogue;
}

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a key, also in another case (the docs' own sample spells callback as callBack). */
export function key(obj: Json, name: string): unknown {
  if (name in obj) return obj[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

export function missing(
  apiName: string,
  path: string,
  message = `required key ${apiName} is not found in request body.`,
): ZohoError {
  return new ZohoError('MANDATORY_NOT_FOUND', { message, details: { api_name: apiName, json_path: path } });
}

function invalid(apiName: string, path: string, message: string, extra: Json = {}): ZohoError {
  return new ZohoError('INVALID_DATA', { message, details: { api_name: apiName, json_path: path, ...extra } });
}

function optionalBoolean(obj: Json, name: string, path: string): boolean | null {
  const v = key(obj, name);
  if (v === undefined || v === null) return null;
  if (typeof v !== 'boolean') throw invalid(name, path, `${name} must be a boolean`, { expected_data_type: 'boolean' });
  return v;
}

function optionalString(obj: Json, name: string, path: string): string | null {
  const v = key(obj, name);
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw invalid(name, path, `${name} must be a string`, { expected_data_type: 'string' });
  return v;
}

/** file_id and module ids arrive as strings from curl and the SDKs; numbers are accepted too. */
function idString(v: unknown): string | null {
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  if (typeof v === 'bigint' && v >= 0n) return v.toString();
  return null;
}

export function supportedEncoding(label: string): boolean {
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return false;
  }
}

/** The field API names the request's file ids point at, so the route can fetch them before validating. */
export function requestedFileIds(body: unknown): string[] {
  if (!isObject(body) || !Array.isArray(body.resource)) return [];
  return body.resource.flatMap((r) =>
    isObject(r) ? [idString(r.file_id)].filter((x): x is string => x !== null) : [],
  );
}

/**
 * The answer to a callback URL that is malformed or that the egress policy refuses (`reason`): v8's
 * INVALID_CALLBACK_URL with Zoho's message, earlier versions INVALID_DATA; both name the path and why.
 */
export function refusedCallbackUrl(version: ApiVersion, reason: string): ZohoError {
  const details = { api_name: 'url', json_path: '$.callback.url', reason };
  if (version.callbackUrlCode === 'INVALID_CALLBACK_URL') return new ZohoError('INVALID_CALLBACK_URL', { details });
  return new ZohoError('INVALID_DATA', { message: `the callback url is refused: ${reason}`, details });
}

export function parseCallback(body: Json, version: ApiVersion): JobSpec['callback'] {
  const raw = key(body, 'callback');
  if (raw === undefined || raw === null) return null;
  if (!isObject(raw)) throw invalid('callback', '$.callback', 'callback must be an object with url and method');
  const url = key(raw, 'url');
  if (url === undefined || url === null || url === '') throw missing('url', '$.callback.url');
  let parsed: URL | null = null;
  try {
    parsed = typeof url === 'string' ? new URL(url) : null;
  } catch {
    parsed = null;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    if (version.callbackUrlCode === 'INVALID_CALLBACK_URL') {
      throw refusedCallbackUrl(version, 'callback url must be an absolute http or https URL');
    }
    throw invalid('url', '$.callback.url', 'callback url must be an absolute http or https URL');
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw refusedCallbackUrl(version, 'callback url must not carry a user name or password');
  }
  const method = key(raw, 'method');
  if (method === undefined || method === null || method === '') throw missing('method', '$.callback.method');
  if (typeof method !== 'string' || method.toLowerCase() !== 'post') {
    if (version.callbackMethodCode === 'INVALID_CALLBACK_METHOD') {
      throw new ZohoError('INVALID_CALLBACK_METHOD', { details: { supported_callback_methods: ['post'] } });
    }
    throw invalid('method', '$.callback.method', 'the callback method must be post', {
      supported_callback_methods: ['post'],
    });
  }
  return { url: url as string, method: 'post' };
}

function parseDefaultValue(v: unknown, path: string): Json | null {
  if (v === undefined || v === null) return null;
  if (!isObject(v)) throw invalid('default_value', path, 'default_value must be an object such as {"value": "..."}');
  return v;
}

/** Splits an auto-mapped header `Account_Name.id` into the field and the lookup's find_by. */
function headerToMapping(header: string, index: number): FieldMapping {
  const name = header.trim();
  const dot = name.indexOf('.');
  if (dot > 0) {
    return {
      apiName: name.slice(0, dot),
      index,
      format: null,
      findBy: name.slice(dot + 1),
      module: null,
      defaultValue: null,
    };
  }
  return { apiName: name, index, format: null, findBy: null, module: null, defaultValue: null };
}

/**
 * A lookup's related module: its own, or for a multi-module lookup (What_Id) the one `module` names.
 * Undefined when `module` names another module than the lookup's, or a multi-module lookup has none.
 */
export function lookupTargetOf(catalogue: Catalogue, field: FieldDef, module: string | null): ModuleDef | undefined {
  if (field.lookupModules) {
    const name =
      module === null ? undefined : field.lookupModules.find((n) => n.toLowerCase() === module.toLowerCase());
    return name === undefined ? undefined : catalogue.find({ apiName: name });
  }
  if (!field.lookupModule) return undefined;
  if (module !== null && module.toLowerCase() !== field.lookupModule.toLowerCase()) return undefined;
  return catalogue.find({ apiName: field.lookupModule });
}

/**
 * `field_mappings[].module`: the related module of a lookup-style mapping. It fixes the module of a
 * multi-module lookup (What_Id then needs no `$se_module`), must name a single lookup's own module, and
 * means nothing on other fields.
 */
function checkMappingModule(catalogue: Catalogue, field: FieldDef, m: FieldMapping, at: string): void {
  if (m.module === null) return;
  const path = `${at}.module`;
  if (field.type === 'ownerlookup') {
    if (m.module.toLowerCase() !== 'users') throw invalid('module', path, `the module of ${m.apiName} is Users`);
    return;
  }
  if (field.type !== 'lookup')
    throw invalid('module', path, `module applies only to lookup fields, not to ${m.apiName}`);
  if (!lookupTargetOf(catalogue, field, m.module)) {
    const supported = field.lookupModules ?? [field.lookupModule];
    throw invalid('module', path, `${m.apiName} does not point at ${m.module}`, { supported_values: supported });
  }
}

/**
 * `find_by` of a mapping. On a lookup: id, a unique field of the related module, or its display field
 * (Zoho's create-job page lists display fields; Product_Name and Full_Name are the usual ones). On Owner:
 * id or email. On any other field Zoho's own parent/child sample sends `{"api_name":"Email","find_by":"email"}`
 * and echoes it: a find_by naming the field itself or its data type says the cell holds the field's own
 * value, and is accepted; anything else there is refused.
 */
function checkFindBy(catalogue: Catalogue, field: FieldDef, m: FieldMapping, path: string): void {
  const findBy = m.findBy;
  if (findBy === null) return;
  switch (field.type) {
    case 'lookup':
      return checkLookupFindBy(catalogue, field, m, findBy, path);
    case 'ownerlookup':
      if (findBy !== 'id' && findBy !== 'email')
        throw invalid('find_by', path, `find_by for ${m.apiName} must be id or email`);
      return;
    case 'layout':
      return;
    default: {
      const own = findBy.toLowerCase();
      if (own === field.apiName.toLowerCase() || own === ZOHO_DATA_TYPE[field.type]) return;
      throw invalid(
        'find_by',
        path,
        `find_by applies to lookup fields; on ${m.apiName} it may only name the field itself (${field.apiName} or ${ZOHO_DATA_TYPE[field.type]})`,
      );
    }
  }
}

function checkLookupFindBy(catalogue: Catalogue, field: FieldDef, m: FieldMapping, findBy: string, path: string): void {
  if (findBy === 'id') return;
  if (field.idOnly) throw invalid('find_by', path, `find_by for ${field.apiName} must be id`);
  const target = lookupTargetOf(catalogue, field, m.module);
  if (!target) {
    throw invalid(
      'find_by',
      path,
      `find_by for ${field.apiName} must be id unless the mapping's module names the related module`,
    );
  }
  const targetField = target.fields.get(findBy);
  if (!targetField || !(targetField.unique || findBy === target.displayField)) {
    throw invalid(
      'find_by',
      path,
      `find_by for ${field.apiName} must be id, a unique field or the display field (${target.displayField}) of ${target.apiName}`,
    );
  }
}

/** A Layout's default (`value`: an id or a name; `name`: a name) must be one of the module's layouts. */
function checkLayoutDefault(module: ModuleDef, m: FieldMapping, at: string): void {
  const dv = m.defaultValue;
  if (!dv) return;
  const key = dv.value !== undefined && dv.value !== null ? 'value' : 'name';
  const given = String(dv[key]);
  if (!findLayout(module, given)) {
    throw invalid(key, `${at}.default_value.${key}`, `${module.apiName} has no layout ${given}`, {
      supported_values: layoutsOf(module).map((l) => ({ name: l.name, id: l.id })),
    });
  }
}

const DEFAULT_VALUE_KEYS = new Set(['value', 'name', 'module']);

/**
 * `default_value`: `{value}` for any field, or (v4+ SDKs' DefaultValue) `{name, module}` for a lookup:
 * the record of `module` whose display field is `name`, resolved when the job runs (a name no record
 * has is INVALID_DATA-<field> on each row that falls back to it). Nothing in it is ignored: an unknown
 * key, value beside name, or a name on a field that is no lookup is refused.
 */
function checkDefaultValue(
  catalogue: Catalogue,
  field: FieldDef,
  m: FieldMapping,
  at: string,
  version: ApiVersion,
): void {
  const dv = m.defaultValue;
  if (!dv) return;
  const path = `${at}.default_value`;
  for (const k of Object.keys(dv)) {
    if (!DEFAULT_VALUE_KEYS.has(k)) {
      throw invalid(
        'default_value',
        `${path}.${k}`,
        `default_value takes value, or name and module for a lookup; not ${k}`,
      );
    }
  }
  const has = (k: string) => dv[k] !== undefined && dv[k] !== null;
  if (has('value')) {
    const other = has('name') ? 'name' : has('module') ? 'module' : null;
    if (other !== null) {
      const message = `default_value takes value, or name and module: not both (${m.apiName})`;
      if (version.openApiCodes) {
        throw new ZohoError('COEXISTENCE_NOT_ALLOWED', {
          message,
          details: { api_name: other, json_path: `${path}.${other}` },
        });
      }
      throw invalid(other, `${path}.${other}`, message);
    }
    if (!['string', 'number', 'boolean'].includes(typeof dv.value)) {
      throw invalid('value', `${path}.value`, 'default_value.value must be a string, a number or a boolean');
    }
    return;
  }
  if (!has('name')) {
    throw missing('value', `${path}.value`, `required key value is not found in default_value of ${m.apiName}.`);
  }
  if (typeof dv.name !== 'string' || dv.name.trim() === '') {
    throw invalid('name', `${path}.name`, 'default_value.name must be a non-empty string');
  }
  if (field.type === 'layout') {
    if (has('module')) throw invalid('module', `${path}.module`, 'a Layout default_value names a layout only');
    return;
  }
  if (field.type !== 'lookup' || field.idOnly) {
    throw invalid(
      'name',
      `${path}.name`,
      `default_value.name names a record of a lookup's module; ${m.apiName} is not such a lookup`,
    );
  }
  if (has('module') && typeof dv.module !== 'string') {
    throw invalid('module', `${path}.module`, 'default_value.module must be a module API name', {
      expected_data_type: 'string',
    });
  }
  const moduleName = (dv.module as string | undefined) ?? m.module;
  if (m.module !== null && moduleName !== null && moduleName.toLowerCase() !== m.module.toLowerCase()) {
    throw invalid(
      'module',
      `${path}.module`,
      `default_value.module and the mapping's module differ (${moduleName}, ${m.module})`,
    );
  }
  if (!lookupTargetOf(catalogue, field, moduleName)) {
    if (moduleName === null) {
      throw missing(
        'module',
        `${path}.module`,
        `required key module is not found in default_value of ${m.apiName}: it names the module of the record`,
      );
    }
    throw invalid('module', `${path}.module`, `${m.apiName} does not point at ${moduleName}`, {
      supported_values: field.lookupModules ?? [field.lookupModule],
    });
  }
}

function parseMappings(
  raw: unknown,
  module: ModuleDef,
  operation: Operation,
  header: readonly string[],
  path: string,
  limits: JobRequestContext['limits'],
  version: ApiVersion,
  catalogue: Catalogue,
): { mappings: FieldMapping[]; autoMapped: boolean } {
  const autoMapped = raw === undefined || raw === null;
  let mappings: FieldMapping[];
  if (autoMapped) {
    mappings = header.map((h, i) => headerToMapping(h, i));
  } else {
    if (!Array.isArray(raw)) throw invalid('field_mappings', path, 'field_mappings must be an array');
    if (raw.length > limits.maxColumns) {
      throw new ZohoError('HEADER_LIMIT_EXCEEDED', {
        message: `more than ${limits.maxColumns} fields are mapped`,
        details: { api_name: 'field_mappings', json_path: path, limit: limits.maxColumns },
      });
    }
    mappings = raw.map((m, i) => {
      const at = `${path}[${i}]`;
      if (!isObject(m)) throw invalid('field_mappings', at, 'each field mapping must be an object');
      const apiName = key(m, 'api_name');
      if (typeof apiName !== 'string' || apiName === '') throw missing('api_name', `${at}.api_name`);
      const defaultValue = parseDefaultValue(key(m, 'default_value'), `${at}.default_value`);
      const index = key(m, 'index');
      let idx: number | null = null;
      if (index === undefined || index === null) {
        if (!defaultValue)
          throw missing(
            'index',
            `${at}.index`,
            `required key index for field ${apiName} is not found in request body.`,
          );
      } else if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= header.length) {
        throw new ZohoError('COLUMN_INDEX_NOT_FOUND', {
          message: `column index ${String(index)} for field ${apiName} is not found in the file`,
          details: { api_name: apiName, json_path: `${at}.index`, index },
        });
      } else idx = index;
      const mapping: FieldMapping = {
        apiName,
        index: idx,
        format: optionalString(m, 'format', `${at}.format`),
        findBy: optionalString(m, 'find_by', `${at}.find_by`),
        module: optionalString(m, 'module', `${at}.module`),
        defaultValue,
      };
      if (version.parentChild) mapping.parentColumnIndex = parentColumnIndex(m, `${at}.parent_column_index`);
      return mapping;
    });
  }

  const seen = new Set<string>();
  mappings.forEach((m, i) => {
    const at = autoMapped ? `$.file.header[${i}]` : `${path}[${i}]`;
    const field = module.fields.get(m.apiName);
    if (!field || field.readOnly || (field.type === 'id' && operation === 'insert')) {
      throw new ZohoError('INVALID_FIELD', {
        message: `invalid mapping. invalid api_name ${m.apiName}.`,
        details: { api_name: m.apiName, json_path: autoMapped ? at : `${at}.api_name` },
      });
    }
    if (seen.has(field.apiName)) throw invalid(m.apiName, at, `field ${m.apiName} is mapped more than once`);
    seen.add(field.apiName);
    if (m.format !== null) {
      const dated = field.type === 'date' || field.type === 'datetime';
      const numeric = NUMBER_LIMITS[field.type] !== undefined;
      if (dated ? !compileDatePattern(m.format) : !numeric || !compileNumberFormat(m.format)) {
        throw new ZohoError('INVALID_FORMAT', {
          message: `invalid format ${m.format} for field ${m.apiName}`,
          details: { api_name: m.apiName, json_path: `${at}.format` },
        });
      }
    }
    checkMappingModule(catalogue, field, m, at);
    checkFindBy(catalogue, field, m, `${at}.find_by`);
    checkDefaultValue(catalogue, field, m, at, version);
    if (field.type === 'layout') checkLayoutDefault(module, m, at);
  });
  return { mappings, autoMapped };
}

/** v6+: `parent_column_index` is a column of the parent CSV; it only takes effect in parent/child jobs. */
function parentColumnIndex(m: Json, path: string): number | null {
  const v = key(m, 'parent_column_index');
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw invalid('parent_column_index', path, 'parent_column_index must be a column index (an integer >= 0)', {
      expected_data_type: 'integer',
    });
  }
  return v;
}

/** v6+: `file_names` names the CSV of the zip a resource reads (one CSV per module). */
function parseFileNames(r: Json, path: string): string[] | undefined {
  const v = key(r, 'file_names');
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length === 0 || v.some((n) => typeof n !== 'string' || n.trim() === '')) {
    throw invalid('file_names', path, 'file_names must be a non-empty array of CSV file names');
  }
  if (v.length > 1) {
    throw invalid('file_names', path, 'each resource reads one CSV: file_names must name exactly one file', {
      limit: 1,
    });
  }
  return v as string[];
}

/** The CSV of the zip a resource reads: the one `file_names` names, or the zip's only CSV. */
function resourceCsv(
  file: UploadedFile,
  fileNames: string[] | undefined,
  at: string,
  version: ApiVersion,
): CsvEntrySummary {
  const inZip = file.csvs.map((c) => c.name);
  if (fileNames !== undefined) {
    // The zip's entries are known by their file names; a path inside the zip is accepted too.
    const wanted = fileNames[0]!.trim().split('/').pop()!;
    const csv = file.csvs.find((c) => c.name === wanted);
    if (!csv) {
      throw invalid('file_names', `${at}.file_names`, `the uploaded zip holds no file named ${fileNames[0]}`, {
        file_names_in_zip: inZip,
      });
    }
    return csv;
  }
  if (file.csvs.length === 1) return file.csvs[0]!;
  if (!version.parentChild) {
    throw invalid(
      'file_id',
      `${at}.file_id`,
      `the zip holds ${file.csvs.length} CSV files; this API version reads one`,
      {
        file_names_in_zip: inZip,
      },
    );
  }
  throw missing(
    'file_names',
    `${at}.file_names`,
    `required key file_names is not found in request body: the zip holds ${file.csvs.length} CSV files (${inZip.join(', ')})`,
  );
}

/** What validating one resource needs besides the resource itself. */
interface ResourceContext {
  ctx: JobRequestContext;
  version: ApiVersion;
  catalogue: Catalogue;
  operation: Operation;
  /** How many resources the job has (a parent/child job has several). */
  resourceCount: number;
}

/** A resource as validated, with the module and the CSV it reads. */
interface ParsedResource {
  resource: JobResource;
  module: ModuleDef;
  csv: CsvEntrySummary;
}

/** The rules that tie the resources of a parent/child job together; the parent is the first resource. */
function checkParentChild(parsed: ParsedResource[]): void {
  const parent = parsed[0]!;
  const seen = new Set<string>();
  parsed.forEach(({ resource, module, csv }, i) => {
    const at = `$.resource[${i}]`;
    const csvKey = `${resource.fileId}/${csv.name}`;
    if (seen.has(csvKey)) {
      throw invalid(
        'file_names',
        `${at}.file_names`,
        `${csv.name} is read by another resource; each module has its own CSV`,
      );
    }
    seen.add(csvKey);
    const links = resource.fieldMappings.map((m, j) => ({ m, j })).filter(({ m }) => isParentLink(m));
    if (i === 0) {
      if (links.length > 0) {
        const { m, j } = links[0]!;
        throw invalid(
          'parent_column_index',
          `${at}.field_mappings[${j}].parent_column_index`,
          `the first resource is the parent: ${m.apiName} cannot take parent_column_index`,
        );
      }
      return;
    }
    if (links.length === 0) {
      throw missing(
        'parent_column_index',
        `${at}.field_mappings`,
        `required key parent_column_index is not found in request body: a child resource links its rows to ${parent.module.apiName} through it`,
      );
    }
    if (links.length > 1) {
      throw invalid(
        'parent_column_index',
        `${at}.field_mappings[${links[1]!.j}].parent_column_index`,
        'a child resource has one field with parent_column_index',
      );
    }
    const { m, j } = links[0]!;
    const path = `${at}.field_mappings[${j}]`;
    const field = module.fields.get(m.apiName)!;
    if (!linksToParent(field, parent.module)) {
      throw invalid(
        'parent_column_index',
        `${path}.parent_column_index`,
        `${module.apiName}.${m.apiName} does not point at ${parent.module.apiName}, the parent module`,
      );
    }
    if (m.index === null)
      throw missing(
        'index',
        `${path}.index`,
        `required key index for field ${m.apiName} is not found in request body.`,
      );
    if (m.parentColumnIndex! >= parent.csv.header.length) {
      throw new ZohoError('COLUMN_INDEX_NOT_FOUND', {
        message: `parent_column_index ${m.parentColumnIndex} for field ${m.apiName} is not a column of ${parent.csv.name}`,
        details: { api_name: m.apiName, json_path: `${path}.parent_column_index`, index: m.parentColumnIndex },
      });
    }
  });
}

/** Validates a create-job request body completely; throws the Zoho error for the first problem found. */
export function validateJobRequest(body: unknown, ctx: JobRequestContext): JobSpec {
  const version = ctx.version ?? V2_1;
  const catalogue = ctx.catalogue ?? STANDARD_CATALOGUE;
  if (!isObject(body)) {
    if (version.openApiCodes && body !== undefined) {
      throw new ZohoError('INVALID_REQUEST', {
        message: 'the request body must be a JSON object',
        details: { api_name: 'body', json_path: '$' },
      });
    }
    throw invalid('body', '$', 'the request body must be a JSON object');
  }
  const operation = parseOperation(body);
  const characterEncoding = parseEncoding(body);
  const topIgnoreEmpty = optionalBoolean(body, 'ignore_empty', '$.ignore_empty');
  const callback = parseCallback(body, version);
  const resources = parseResourceList(body, version);
  const rc: ResourceContext = { ctx, version, catalogue, operation, resourceCount: resources.length };
  const parsed = resources.map((r, i) => parseResource(r, i, rc));
  if (parsed.length > 1) checkParentChild(parsed);
  else checkNoParentLink(parsed[0]!.resource);
  return {
    operation,
    // Without character_encoding, the encoding detected at upload (Zoho: "usually auto-detected").
    characterEncoding: characterEncoding ?? parsed[0]!.csv.encoding ?? 'UTF-8',
    ignoreEmpty: topIgnoreEmpty ?? false,
    ignoreEmptyGiven: topIgnoreEmpty !== null,
    callback,
    resources: parsed.map((p) => p.resource),
  };
}

function parseOperation(body: Json): Operation {
  const operation = key(body, 'operation');
  if (operation === undefined || operation === null || operation === '') throw missing('operation', '$.operation');
  if (typeof operation !== 'string' || !OPERATIONS.includes(operation as Operation)) {
    throw invalid('operation', '$.operation', 'operation must be one of insert, update, upsert', {
      supported_values: OPERATIONS,
    });
  }
  return operation as Operation;
}

function parseEncoding(body: Json): string | null {
  const characterEncoding = optionalString(body, 'character_encoding', '$.character_encoding');
  if (characterEncoding !== null && !supportedEncoding(characterEncoding)) {
    throw invalid(
      'character_encoding',
      '$.character_encoding',
      `character encoding ${characterEncoding} is not supported`,
    );
  }
  return characterEncoding;
}

/** The `resource` array: one resource, or from v6 on a parent and its children. */
function parseResourceList(body: Json, version: ApiVersion): unknown[] {
  const resources = key(body, 'resource');
  if (resources === undefined || resources === null) throw missing('resource', '$.resource');
  if (!Array.isArray(resources) || resources.length === 0)
    throw invalid('resource', '$.resource', 'resource must be a non-empty array');
  if (resources.length > 1 && !version.parentChild) {
    // Multi-resource (parent/child) jobs exist from v6 on.
    throw invalid('resource', '$.resource', 'this API version takes one resource per job', { supported_resources: 1 });
  }
  if (resources.length > MAX_CSVS_PER_ZIP) {
    throw invalid(
      'resource',
      '$.resource',
      `a job has at most ${MAX_CSVS_PER_ZIP} resources: a parent and its children`,
      {
        limit: MAX_CSVS_PER_ZIP,
      },
    );
  }
  return resources;
}

/** One resource: its type, module, file and CSV, find_by, ignore_empty and field mappings. */
function parseResource(r: unknown, i: number, rc: ResourceContext): ParsedResource {
  const at = `$.resource[${i}]`;
  if (!isObject(r)) throw invalid('resource', at, 'each resource must be an object');
  const type = key(r, 'type');
  if (type === undefined || type === null || type === '') throw missing('type', `${at}.type`);
  if (type !== 'data')
    throw invalid('type', `${at}.type`, 'resource type must be data', { supported_values: ['data'] });
  const module = parseModule(r, at, i, rc.catalogue);
  const { fileId, file, fileNames, csv } = parseFile(r, at, rc);
  const findBy = parseFindBy(r, at, module, rc.operation);
  const resIgnoreEmpty = optionalBoolean(r, 'ignore_empty', `${at}.ignore_empty`);
  const rawMappings = key(r, 'field_mappings');
  if (rc.resourceCount > 1 && (rawMappings === undefined || rawMappings === null)) {
    throw missing(
      'field_mappings',
      `${at}.field_mappings`,
      'required key field_mappings is not found in request body: a parent/child job maps every resource',
    );
  }
  const { mappings, autoMapped } = parseMappings(
    rawMappings,
    module,
    rc.operation,
    csv.header,
    `${at}.field_mappings`,
    rc.ctx.limits,
    rc.version,
    rc.catalogue,
  );
  checkMappedFields(module, mappings, findBy, rc.operation, at);

  const resource: JobResource = {
    type: 'data',
    module: { apiName: module.apiName, id: module.id },
    fileId,
    findBy,
    ignoreEmpty: resIgnoreEmpty,
    fieldMappings: mappings,
    autoMapped,
  };
  if (fileNames) resource.fileNames = fileNames;
  if (file.csvs.length > 1) resource.csvName = csv.name;
  if (rc.resourceCount > 1) resource.csvRows = csv.rowCount;
  return { resource, module, csv };
}

/** The resource's module, by api_name or id; a linking module only as a child. */
function parseModule(r: Json, at: string, i: number, catalogue: Catalogue): ModuleDef {
  const rawModule = key(r, 'module');
  if (rawModule === undefined || rawModule === null || rawModule === '') throw missing('module', `${at}.module`);
  let moduleRef: { apiName?: string | null; id?: string | null };
  if (typeof rawModule === 'string') moduleRef = { apiName: rawModule };
  else if (isObject(rawModule)) {
    moduleRef = {
      apiName: typeof rawModule.api_name === 'string' ? rawModule.api_name : null,
      id: idString(rawModule.id),
    };
    if (!moduleRef.apiName && !moduleRef.id) throw missing('api_name', `${at}.module.api_name`);
  } else throw invalid('module', `${at}.module`, 'module must be an object with api_name');
  const module = catalogue.find(moduleRef);
  if (!module) {
    const name = moduleRef.apiName ?? moduleRef.id ?? '';
    throw new ZohoError('MODULE_NOT_AVAILABLE', {
      message: `Requested module '${name}' is not available.`,
      details: { api_name: 'module', json_path: `${at}.module`, module: name },
    });
  }
  if (module.linkingOf !== undefined && i === 0) {
    throw invalid(
      'module',
      `${at}.module`,
      `${module.apiName} is a linking module: import it as a child resource, after a ${module.linkingOf} resource`,
    );
  }
  return module;
}

/** The uploaded file a resource reads, the CSV in it, and the limits on that CSV's columns and rows. */
function parseFile(
  r: Json,
  at: string,
  rc: ResourceContext,
): { fileId: string; file: UploadedFile; fileNames: string[] | undefined; csv: CsvEntrySummary } {
  const rawFileId = key(r, 'file_id');
  if (rawFileId === undefined || rawFileId === null || rawFileId === '') throw missing('file_id', `${at}.file_id`);
  const fileId = idString(rawFileId);
  const file = fileId ? rc.ctx.files.get(fileId) : undefined;
  if (!fileId || !file) {
    // v8 (OpenAPI file): FILE_NOT_FOUND when "no uploaded file exists for the supplied file ID"; a value
    // that cannot be a file id, and every unknown one before v8, is INVALID_FILE_ID ("improper file id").
    const code =
      rc.version.openApiCodes && fileId !== null && /^\d{1,19}$/.test(fileId) ? 'FILE_NOT_FOUND' : 'INVALID_FILE_ID';
    throw new ZohoError(code, { details: { api_name: 'file_id', json_path: `${at}.file_id` } });
  }
  const fileNames = rc.version.parentChild ? parseFileNames(r, `${at}.file_names`) : undefined;
  const csv = resourceCsv(file, fileNames, at, rc.version);
  const { limits } = rc.ctx;
  if (csv.header.length > limits.maxColumns) {
    throw new ZohoError('HEADER_LIMIT_EXCEEDED', {
      message: `the file has ${csv.header.length} columns; at most ${limits.maxColumns} are allowed`,
      details: { api_name: 'file_id', json_path: `${at}.file_id`, limit: limits.maxColumns },
    });
  }
  if (csv.rowCount > limits.maxRows) {
    throw new ZohoError('LIMIT_EXCEEDED', {
      message: `the file has ${csv.rowCount} records; at most ${limits.maxRows} are allowed in one job`,
      details: { api_name: 'file_id', json_path: `${at}.file_id`, limit: limits.maxRows },
    });
  }
  return { fileId, file, fileNames, csv };
}

/** `find_by`: required on update and upsert; the id or a unique field of the module. */
function parseFindBy(r: Json, at: string, module: ModuleDef, operation: Operation): string | null {
  const findBy = optionalString(r, 'find_by', `${at}.find_by`);
  if (findBy === null && operation !== 'insert') {
    throw missing('find_by', `${at}.find_by`, 'Required key find_by is not available');
  }
  if (findBy !== null) {
    const field = module.fields.get(findBy);
    if (!field) {
      throw new ZohoError('INVALID_FIELD', {
        message: `invalid find_by. invalid api_name ${findBy}.`,
        details: { api_name: findBy, json_path: `${at}.find_by` },
      });
    }
    if (field.type !== 'id' && !field.unique) {
      throw invalid(
        'find_by',
        `${at}.find_by`,
        `find_by must be id or a unique field of ${module.apiName}; ${findBy} is not unique`,
      );
    }
  }
  return findBy;
}

/**
 * The fields a resource must map: `$se_module` beside a multi-module lookup, the find_by field, and on
 * insert and upsert every mandatory field (an upsert row may insert).
 */
function checkMappedFields(
  module: ModuleDef,
  mappings: readonly FieldMapping[],
  findBy: string | null,
  operation: Operation,
  at: string,
): void {
  const mapped = new Set(mappings.map((m) => m.apiName));
  // A multi-module lookup whose mapping names its module (or only falls back to a default naming one)
  // needs no $se_module.
  const multiModule = mappings.find(
    (m) =>
      module.fields.get(m.apiName)?.lookupModules !== undefined &&
      m.module === null &&
      !(m.index === null && typeof m.defaultValue?.module === 'string'),
  );
  if (multiModule && !mapped.has('$se_module')) {
    throw new ZohoError('MANDATORY_FIELDS_NOT_MAPPED', {
      message: `$se_module must be mapped with ${multiModule.apiName}: it names the module of the related record`,
      details: { api_name: '$se_module', json_path: `${at}.field_mappings`, missing_fields: ['$se_module'] },
    });
  }
  if (findBy !== null && !mapped.has(findBy)) {
    throw new ZohoError('MANDATORY_FIELDS_NOT_MAPPED', {
      message: `the find_by field ${findBy} is not mapped`,
      details: { api_name: findBy, json_path: `${at}.find_by` },
    });
  }
  if (operation !== 'update') {
    const unmapped = mandatoryFields(module).filter((f) => !mapped.has(f.apiName));
    if (unmapped.length > 0) {
      throw new ZohoError('MANDATORY_FIELDS_NOT_MAPPED', {
        details: {
          api_name: unmapped[0]!.apiName,
          json_path: `${at}.field_mappings`,
          missing_fields: unmapped.map((f) => f.apiName),
        },
      });
    }
  }
}

/** `parent_column_index` links a child to its parent, so a one-resource job has no use for it. */
function checkNoParentLink(resource: JobResource): void {
  const link = resource.fieldMappings.findIndex(isParentLink);
  if (link >= 0) {
    throw invalid(
      'parent_column_index',
      `$.resource[0].field_mappings[${link}].parent_column_index`,
      'parent_column_index links a child resource to its parent: it needs a job with a parent and a child resource',
    );
  }
}
