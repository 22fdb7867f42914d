import { ZohoError } from '../errors/zoho-error.js';
import type { ApiVersion } from './api-versions.js';
import { isObject, key, missing, parseCallback, type Json } from './job-request.js';
import type { FieldDef, FieldType, ModuleDef } from './modules.js';
import type { Catalogue } from './org-schema.js';
import {
  READ_COMPARATORS,
  type JobSpec,
  type ReadComparator,
  type ReadCondition,
  type ReadCriteria,
  type ReadQuery,
} from './types.js';

/**
 * A bulk read create-job body (`POST /crm/bulk/{version}/read`) → what the job will read, or the Zoho
 * error of the first thing wrong with it. Every fact and limit here is in docs/bulk-read.md with its
 * source; the whole body is checked before anything is queued.
 */

/** Zoho pages a bulk read by 200,000 records (its docs, every version). */
export const READ_PAGE_SIZE = 200_000;

/** The records a read job's page holds: fixed at create time (BULKWRITE_READ_PAGE_SIZE), else Zoho's. */
export function pageSizeOf(query: ReadQuery): number {
  return query.perPage ?? READ_PAGE_SIZE;
}
/** Pages a query reaches (Zoho's v8 OpenAPI file: page 1 … 50). */
export const MAX_READ_PAGE = 50;
/** Conditions in one criteria tree, and how deep groups nest (bulkwrite's bounds; docs/bulk-read.md). */
export const MAX_CRITERIA = 25;
export const MAX_CRITERIA_DEPTH = 5;
/** Values of one in / not_in condition, and characters of one value (Zoho's v8 OpenAPI file: 500). */
export const MAX_CRITERIA_VALUES = 100;
export const MAX_VALUE_LENGTH = 500;
/** Fields of one query (Zoho's v8 OpenAPI file: maxItems 1000). */
export const MAX_READ_FIELDS = 1000;

const TEXT: readonly ReadComparator[] = [
  'equal',
  'not_equal',
  'in',
  'not_in',
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
];
const ORDERED: readonly ReadComparator[] = [
  'equal',
  'not_equal',
  'less_than',
  'less_equal',
  'greater_than',
  'greater_equal',
  'between',
  'not_between',
];
const NUMBER: readonly ReadComparator[] = [...ORDERED, 'in', 'not_in'];
const IDS: readonly ReadComparator[] = ['equal', 'not_equal', 'in', 'not_in'];
const MULTI: readonly ReadComparator[] = ['equal', 'not_equal', 'in', 'not_in', 'contains', 'not_contains'];

/** The comparators criteria accept on each field type; a type not listed cannot be in criteria. */
export const COMPARATORS_BY_TYPE: Partial<Record<FieldType, readonly ReadComparator[]>> = {
  text: TEXT,
  email: TEXT,
  phone: TEXT,
  website: TEXT,
  picklist: TEXT,
  autonumber: TEXT,
  integer: NUMBER,
  bigint: NUMBER,
  decimal: NUMBER,
  currency: NUMBER,
  percent: NUMBER,
  date: ORDERED,
  datetime: ORDERED,
  boolean: ['equal', 'not_equal'],
  id: IDS,
  lookup: IDS,
  ownerlookup: IDS,
  multiselectpicklist: MULTI,
};

/** Types a bulk read CSV has no column for (Zoho exports subforms and multi-select lookups on their own). */
const NOT_EXPORTED: ReadonlySet<FieldType> = new Set(['subform', 'multiselectlookup', 'fileupload']);

/** The columns of a read job's CSV after `Id`: the requested fields, or every exported field of the module. */
export function readColumns(module: ModuleDef, fields: readonly string[] | null): FieldDef[] {
  if (fields !== null) return fields.filter((f) => f.toLowerCase() !== 'id').map((f) => exportedField(module, f)!);
  return [...module.fields.values()].filter((f) => f.type !== 'id' && !NOT_EXPORTED.has(f.type));
}

function exportedField(module: ModuleDef, name: string): FieldDef | undefined {
  const f = module.fields.get(name);
  return f && !NOT_EXPORTED.has(f.type) ? f : undefined;
}

export interface ReadRequestContext {
  version: ApiVersion;
  catalogue: Catalogue;
  /** Records a page holds (the server's setting); default Zoho's 200,000. */
  perPage?: number;
  /**
   * Reads a v7+ `page_token` for the module: the record id the page starts after and its page number;
   * throws the Zoho error of a token that is not one (api/page-token.ts).
   */
  readPageToken?: (token: string, module: string) => { afterId: string; page: number };
}

export interface ReadJobSpec extends JobSpec {
  operation: 'read';
  read: ReadQuery;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
const DIGITS = /^\d{1,19}$/;

export function validateReadRequest(body: unknown, ctx: ReadRequestContext): ReadJobSpec {
  if (body === undefined) throw new ZohoError('REQUEST_BODY_IS_EMPTY');
  if (!isObject(body)) throw new ZohoError('REQUEST_BODY_NOT_READABLE', { details: { json_path: '$' } });
  const callback = parseCallback(body, ctx.version);
  const query = key(body, 'query');
  if (query === undefined || query === null) throw missing('query', '$.query');
  if (!isObject(query)) throw queryError('query', '$.query');

  const module = parseModule(query, ctx);
  const fileType = parseFileType(body, query, module);
  const fields = parseFields(query, module, fileType);
  const cvid = key(query, 'cvid');
  // No org of the emulator has custom views, so every cvid names one that does not exist.
  if (cvid !== undefined && cvid !== null && cvid !== '') {
    throw new ZohoError('CVID_NOT_SUPPORTED', {
      message: `Invalid custom view id '${String(cvid).slice(0, 100)}' for the query.`,
      details: { api_name: 'cvid', json_path: '$.query.cvid' },
    });
  }
  const token = parsePageToken(query, module, ctx);
  const page = parsePage(query, token?.page);
  const rawCriteria = key(query, 'criteria');
  const criteria =
    rawCriteria === undefined || rawCriteria === null
      ? null
      : parseCriteria(rawCriteria, module, '$.query.criteria', { count: 0 }, 0);
  return {
    operation: 'read',
    characterEncoding: 'UTF-8',
    ignoreEmpty: false,
    ignoreEmptyGiven: false,
    callback,
    resources: [],
    read: {
      module: { apiName: module.apiName, id: module.id },
      fields,
      page,
      criteria,
      fileType,
      ...(ctx.perPage !== undefined && ctx.perPage !== READ_PAGE_SIZE ? { perPage: ctx.perPage } : {}),
      ...(token ? { pageToken: token.text, afterId: token.afterId } : {}),
    },
  };
}

function queryError(apiName: string, path: string, message?: string): ZohoError {
  return new ZohoError('QUERY_NOT_SUPPORTED', {
    ...(message ? { message } : {}),
    details: { api_name: apiName, json_path: path },
  });
}

function parseModule(query: Json, ctx: ReadRequestContext): ModuleDef {
  const raw = key(query, 'module');
  if (raw === undefined || raw === null || raw === '') throw missing('module', '$.query.module');
  // v2 takes the API name as a string (the 2.0 SDK sends one); later versions `{api_name}`, or `{id}`.
  let ref: { apiName?: string; id?: string } | null = null;
  if (typeof raw === 'string') ref = { apiName: raw };
  else if (isObject(raw)) {
    const name = key(raw, 'api_name');
    const id = key(raw, 'id');
    if (typeof name === 'string' && name !== '') ref = { apiName: name };
    else if (typeof id === 'string' && id !== '') ref = { id };
    else throw missing('api_name', '$.query.module.api_name');
  }
  if (ref === null) throw queryError('module', '$.query.module', 'the module must be {"api_name": "..."}');
  const module = ctx.catalogue.find(ref);
  const name = (ref.apiName ?? ref.id ?? '').slice(0, 100);
  if (!module) {
    throw new ZohoError('MODULE_NOT_AVAILABLE', {
      message: `Requested module '${name}' is not available.`,
      details: { api_name: 'module', json_path: '$.query.module' },
    });
  }
  // Line items and subform rows are read through their parent record, not on their own.
  if (module.subformOf) {
    throw new ZohoError('MODULE_NOT_SUPPORTED', {
      message: `Invalid module for the query. Module '${module.apiName}' is not supported.`,
      details: { api_name: 'module', json_path: '$.query.module' },
    });
  }
  return module;
}

/** `file_type` sits beside `query` (Zoho's docs and every SDK); v8's SDK also has it inside `query`. */
function parseFileType(body: Json, query: Json, module: ModuleDef): 'csv' | 'ics' {
  const raw = key(body, 'file_type') ?? key(query, 'file_type');
  if (raw === undefined || raw === null || raw === 'csv') return 'csv';
  if (raw === 'ics') {
    // ICS is for the Events module only, and Events is not a module of the emulator's catalogue.
    throw new ZohoError('NOT_SUPPORTED_FEATURE', {
      message: `file_type ics is supported only for the Events module, not ${module.apiName}`,
      details: { api_name: 'file_type', json_path: '$.file_type' },
    });
  }
  throw queryError('file_type', '$.file_type', "file_type must be 'csv' or 'ics'");
}

function parseFields(query: Json, module: ModuleDef, fileType: 'csv' | 'ics'): string[] | null {
  const raw = key(query, 'fields');
  if (raw === undefined || raw === null) return null;
  if (fileType === 'ics') throw queryError('fields', '$.query.fields', 'fields cannot be chosen for an ics export');
  if (!Array.isArray(raw)) throw queryError('fields', '$.query.fields', 'fields must be an array of API names');
  if (raw.length > MAX_READ_FIELDS) {
    throw queryError('fields', '$.query.fields', `a query takes at most ${MAX_READ_FIELDS} fields`);
  }
  const out: string[] = [];
  const seen = new Set<string>();
  raw.forEach((f, i) => {
    const name = typeof f === 'string' ? f : '';
    const field = name.toLowerCase() === 'id' ? module.fields.get('id') : exportedField(module, name);
    if (!field) {
      throw new ZohoError('FIELD_NOT_SUPPORTED', {
        message: `Invalid field for the module provided in fields. Field api name '${String(f).slice(0, 100)}' is not supported for this module '${module.apiName}'.`,
        details: { api_name: String(f).slice(0, 100), json_path: `$.query.fields[${i}]` },
      });
    }
    if (!seen.has(field.apiName)) out.push(field.apiName === 'id' ? 'Id' : field.apiName);
    seen.add(field.apiName);
  });
  return out;
}

/**
 * v7+ `query.page_token`: the `next_page_token` of a completed page. Older versions do not read the key.
 * A token reads the page after the one it came from, whatever page limit `page` has.
 */
function parsePageToken(
  query: Json,
  module: ModuleDef,
  ctx: ReadRequestContext,
): { text: string; afterId: string; page: number } | null {
  if (!ctx.version.readPageTokens || !ctx.readPageToken) return null;
  const raw = key(query, 'page_token');
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'string' || raw === '') {
    throw queryError('page_token', '$.query.page_token', 'page_token must be the next_page_token of a read job');
  }
  return { text: raw, ...ctx.readPageToken(raw, module.apiName) };
}

function parsePage(query: Json, tokenPage?: number): number {
  const raw = key(query, 'page');
  if (tokenPage !== undefined) {
    // A page beside a token must be the token's own page.
    if (raw === undefined || raw === null || raw === tokenPage || raw === String(tokenPage)) return tokenPage;
    throw new ZohoError('INVALID_REQUEST', {
      message: `page ${JSON.stringify(raw).slice(0, 40)} does not match page_token, which reads page ${tokenPage}`,
      details: { api_name: 'page', json_path: '$.query.page' },
    });
  }
  if (raw === undefined || raw === null) return 1;
  const page = typeof raw === 'string' && /^\d{1,9}$/.test(raw) ? Number(raw) : raw;
  if (typeof page !== 'number' || !Number.isInteger(page) || page < 1) {
    throw new ZohoError('PAGE_NOT_SUPPORTED', {
      message: `Invalid page number for query. Page ${JSON.stringify(raw).slice(0, 40)} is not supported for the query.`,
      details: { api_name: 'page', json_path: '$.query.page' },
    });
  }
  if (page > MAX_READ_PAGE) {
    throw new ZohoError('PAGE_RANGE_EXCEEDED', {
      message: `Invalid page number for query. Page ${page} is not supported for the query. Page range is from 1 to ${MAX_READ_PAGE}.`,
      details: { max_limit: MAX_READ_PAGE },
    });
  }
  return page;
}

function criteriaError(
  code: ConstructorParameters<typeof ZohoError>[0],
  path: string,
  message: string,
  extra: Json = {},
) {
  return new ZohoError(code, { message, details: { json_path: path, ...extra } });
}

function parseCriteria(
  raw: unknown,
  module: ModuleDef,
  path: string,
  seen: { count: number },
  depth: number,
): ReadCriteria {
  if (!isObject(raw)) throw criteriaError('INVALID_CRITERIA', path, `Invalid criteria ${path} for the query.`);
  if (depth > MAX_CRITERIA_DEPTH) {
    throw criteriaError('CRITERIA_LIMIT_EXCEEDED', path, `Criteria nest at most ${MAX_CRITERIA_DEPTH} groups deep`, {
      max_depth: MAX_CRITERIA_DEPTH,
    });
  }
  const group = key(raw, 'group');
  const operator = key(raw, 'group_operator');
  const fieldRef = key(raw, 'field');
  const apiName = key(raw, 'api_name');
  const hasGroup = group !== undefined || operator !== undefined;
  const hasCondition = apiName !== undefined || fieldRef !== undefined || key(raw, 'comparator') !== undefined;
  if (hasGroup && hasCondition) {
    throw criteriaError(
      'AMBIGUOUS_CRITERIA',
      path,
      `Ambiguous criteria ${path}. Criteria can have either {group, group_operator} or {api_name, comparator, value}.`,
    );
  }
  if (hasGroup) {
    if (!Array.isArray(group))
      throw criteriaError('INVALID_CRITERIA', `${path}.group`, `Invalid criteria ${path} for the query.`);
    if (group.length < 2) {
      throw criteriaError(
        'AMBIGUOUS_GROUP_IN_CRITERIA',
        `${path}.group`,
        `Ambiguous group in criteria ${path}. Group should be used only when there are more than one criteria`,
      );
    }
    if (typeof operator !== 'string' || (operator.toLowerCase() !== 'and' && operator.toLowerCase() !== 'or')) {
      throw criteriaError(
        'GROUP_OPERATOR_NOT_SUPPORTED',
        `${path}.group_operator`,
        `Criteria ${path} doesn't support this logical group operator '${String(operator).slice(0, 40)}'. Supported operators are 'and', 'or'.`,
      );
    }
    return {
      groupOperator: operator.toLowerCase() as 'and' | 'or',
      group: group.map((g, i) => parseCriteria(g, module, `${path}.group[${i}]`, seen, depth + 1)),
    };
  }
  seen.count += 1;
  if (seen.count > MAX_CRITERIA) {
    throw criteriaError(
      'CRITERIA_LIMIT_EXCEEDED',
      path,
      `Number of criteria exceeded the maximum limit of ${MAX_CRITERIA}`,
      {
        max_limit: MAX_CRITERIA,
      },
    );
  }
  return parseCondition(
    raw,
    module,
    path,
    fieldRef !== undefined ? key(isObject(fieldRef) ? fieldRef : {}, 'api_name') : apiName,
  );
}

function parseCondition(raw: Json, module: ModuleDef, path: string, name: unknown): ReadCondition {
  if (typeof name !== 'string' || name === '') throw missing('api_name', `${path}.api_name`);
  const byField = key(raw, 'field') !== undefined;
  const field = module.fields.get(name);
  const comparators = field && COMPARATORS_BY_TYPE[field.type];
  if (!field || !comparators) {
    throw criteriaError(
      'FIELD_IN_CRITERIA_NOT_SUPPORTED',
      path,
      `Field api name '${name.slice(0, 100)}' for criteria ${path} is not supported.`,
      { api_name: name.slice(0, 100) },
    );
  }
  const comparator = key(raw, 'comparator');
  if (comparator === undefined || comparator === null) throw missing('comparator', `${path}.comparator`);
  if (typeof comparator !== 'string' || !comparators.includes(comparator as ReadComparator)) {
    throw criteriaError(
      'FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED',
      path,
      `Field api name '${name}' doesn't support this comparator '${String(comparator).slice(0, 40)}' for criteria ${path}.`,
      { api_name: name, comparator: String(comparator).slice(0, 40), supported: comparators },
    );
  }
  const op = comparator as ReadComparator;
  if (!(READ_COMPARATORS as readonly string[]).includes(op)) throw new Error('unreachable');
  const value = key(raw, 'value');
  if (value === undefined || value === null) throw missing('value', `${path}.value`);
  const incompatible = () =>
    criteriaError(
      'COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE',
      `${path}.value`,
      `Comparator '${op}' is not supported with value '${JSON.stringify(value).slice(0, 100)}' for criteria ${path}.`,
      { api_name: name, comparator: op },
    );
  const list = op === 'in' || op === 'not_in';
  const range = op === 'between' || op === 'not_between';
  // A multi-select picklist takes a list for equal / not_equal too: the set of values selected.
  const listOk = list || range || (field.type === 'multiselectpicklist' && (op === 'equal' || op === 'not_equal'));
  const values: unknown[] = Array.isArray(value) ? value : [value];
  if (Array.isArray(value) ? !listOk : list || range) throw incompatible();
  if (range && values.length !== 2) throw incompatible();
  if (values.length === 0) throw incompatible();
  if (values.length > MAX_CRITERIA_VALUES) {
    throw criteriaError(
      'VALUE_LIMIT_EXCEEDED_IN_CRITERIA',
      `${path}.value`,
      `Value exceeded limit ${MAX_CRITERIA_VALUES}`,
      {
        api_name: name,
        max_limit: MAX_CRITERIA_VALUES,
      },
    );
  }
  for (const v of values) {
    if (typeof v === 'string' && v.length > MAX_VALUE_LENGTH) {
      throw criteriaError(
        'VALUE_LIMIT_EXCEEDED_IN_CRITERIA',
        `${path}.value`,
        `Value exceeded limit ${MAX_VALUE_LENGTH}`,
        {
          api_name: name,
          max_length: MAX_VALUE_LENGTH,
        },
      );
    }
    if (!valueFits(field.type, v, op)) {
      throw criteriaError(
        'FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE',
        `${path}.value`,
        `Field '${name}' is not supported with value '${JSON.stringify(v).slice(0, 100)}' for criteria ${path}.`,
        { api_name: name },
      );
    }
  }
  if (range && compareValues(field.type, values[0], values[1]) > 0) throw incompatible();
  return { apiName: field.apiName, comparator: op, value: value as ReadCondition['value'], byField };
}

/** Whether a criteria value can be compared with the field's values. */
function valueFits(type: FieldType, v: unknown, op: ReadComparator): boolean {
  switch (type) {
    case 'integer':
    case 'bigint':
    case 'decimal':
    case 'currency':
    case 'percent':
      return numberOf(v) !== null;
    case 'date':
      return typeof v === 'string' && DATE.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`));
    case 'datetime':
      return typeof v === 'string' && DATETIME.test(v) && !Number.isNaN(Date.parse(v));
    case 'boolean':
      return typeof v === 'boolean' || v === 'true' || v === 'false';
    case 'id':
    case 'lookup':
    case 'ownerlookup':
      return typeof v === 'string' ? DIGITS.test(v) : typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    default:
      // Text-like: a string; contains and its kin need one that is not empty.
      if (typeof v !== 'string' && typeof v !== 'number') return false;
      return !(String(v) === '' && ['contains', 'not_contains', 'starts_with', 'ends_with'].includes(op));
  }
}

/** A criteria number value: a number, or a string that is one. */
export function numberOf(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v !== 'string' || !/^-?\d+(\.\d+)?$/.test(v.trim())) return null;
  return Number(v);
}

/** Orders two valid criteria values of one type (for a between range's ends). */
function compareValues(type: FieldType, a: unknown, b: unknown): number {
  if (type === 'date') return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
  if (type === 'datetime') return Date.parse(String(a)) - Date.parse(String(b));
  return numberOf(a)! - numberOf(b)!;
}
