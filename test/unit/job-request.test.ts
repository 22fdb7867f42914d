import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiVersionOf } from '../../src/domain/api-versions.js';
import { validateJobRequest, type JobRequestContext } from '../../src/domain/job-request.js';
import { catalogueFor } from '../../src/domain/org-schema.js';
import type { CsvEntrySummary, JobSpec, UploadedFile } from '../../src/domain/types.js';
import { ZohoError } from '../../src/errors/zoho-error.js';
import { fieldMapping } from '../helpers/row-plans.js';

type Json = Record<string, unknown>;

function upload(id: string, csvs: Array<[name: string, header: string[], rowCount?: number]>): UploadedFile {
  const entries: CsvEntrySummary[] = csvs.map(([name, header, rowCount]) => ({
    name,
    header,
    delimiter: ',',
    rowCount: rowCount ?? 3,
  }));
  const first = entries[0]!;
  return {
    id,
    orgId: '1',
    name: `${id}.zip`,
    csvName: first.name,
    size: 100,
    blobKey: `uploads/1/${id}.zip`,
    header: first.header,
    delimiter: ',',
    rowCount: first.rowCount,
    createdAt: 0,
    csvs: entries,
  };
}

const LEADS = '101';
const CONTACTS = '102';
const TASKS = '103';
const QUOTES = '104';
const WIDE = '105';
const LONG = '106';
const LINKS = '107';
const ODD = '108';
const FILES = new Map(
  [
    upload(LEADS, [['leads.csv', ['Last_Name', 'Email', 'Company']]]),
    upload(CONTACTS, [['contacts.csv', ['Last_Name', 'Date_of_Birth', 'Account_Name', 'Email']]]),
    upload(TASKS, [['tasks.csv', ['Subject', 'What_Id', '$se_module']]]),
    upload(QUOTES, [
      ['Quotes.csv', ['Quote_Ref', 'Subject', 'Account_Name']],
      ['Quoted_Items.csv', ['Quote_Ref', 'Product', 'Qty', 'Price'], 5],
    ]),
    upload(WIDE, [['wide.csv', Array.from({ length: 11 }, (_, i) => (i === 0 ? 'Last_Name' : `Column_${i}`))]]),
    upload(LONG, [['long.csv', ['Last_Name'], 101]]),
    upload(ODD, [['odd.csv', ['Last_Name', 'Nope']]]),
    upload(LINKS, [
      ['Leads.csv', ['Ref', 'Last_Name']],
      ['Links.csv', ['Ref', 'Product']],
    ]),
  ].map((f) => [f.id, f]),
);
const LIMITS = { maxRows: 100, maxColumns: 10 };
/** Leads with a multi-select lookup to Products, whose pairs live in the linking module LeadsXProducts. */
const WITH_LINKING = catalogueFor('job-request-test', {
  version: 1,
  document: JSON.stringify({
    fields: { Leads: [{ api_name: 'Interested_In', data_type: 'multiselectlookup', lookup_module: 'Products' }] },
  }),
});

const leads = (resource: Json = {}, top: Json = {}): Json => ({
  operation: 'insert',
  ...top,
  resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: LEADS, ...resource }],
});
/** A Leads insert with explicit mappings: Last_Name, Email, Company, then `extra`. */
const mapped = (extra: Json[], resource: Json = {}, top: Json = {}): Json =>
  leads(
    {
      field_mappings: [
        { api_name: 'Last_Name', index: 0 },
        { api_name: 'Email', index: 1 },
        { api_name: 'Company', index: 2 },
        ...extra,
      ],
      ...resource,
    },
    top,
  );
/** A Contacts insert that maps Last_Name and one more field. */
const contacts = (mapping: Json): Json => ({
  operation: 'insert',
  resource: [
    {
      type: 'data',
      module: 'Contacts',
      file_id: CONTACTS,
      field_mappings: [{ api_name: 'Last_Name', index: 0 }, mapping],
    },
  ],
});
const quote = (
  mappings: Json[] = [
    { api_name: 'Subject', index: 1 },
    { api_name: 'Account_Name', index: 2 },
  ],
) => ({
  type: 'data',
  module: { api_name: 'Quotes' },
  file_id: QUOTES,
  file_names: ['Quotes.csv'],
  field_mappings: mappings,
});
const ITEM_MAPPINGS: Json[] = [
  { api_name: 'Parent_Id', index: 0, parent_column_index: 0 },
  { api_name: 'Product_Name', index: 1 },
  { api_name: 'Quantity', index: 2 },
];
const item = (mappings: Json[] = ITEM_MAPPINGS, resource: Json = {}) => ({
  type: 'data',
  module: { api_name: 'Quoted_Items' },
  file_id: QUOTES,
  file_names: ['Quoted_Items.csv'],
  field_mappings: mappings,
  ...resource,
});
const quoteJob = (...resources: Json[]): Json => ({ operation: 'insert', resource: resources });
/** A Tasks insert mapping Subject and then `extra`. */
const tasks = (extra: Json[]): Json => ({
  operation: 'insert',
  resource: [
    { type: 'data', module: 'Tasks', file_id: TASKS, field_mappings: [{ api_name: 'Subject', index: 0 }, ...extra] },
  ],
});

interface ErrorCase {
  /** What is wrong with the request, as a phrase. */
  what: string;
  body: unknown;
  version?: string;
  catalogue?: JobRequestContext['catalogue'];
  code: string;
  /** The keys `details` must hold (others may be there too). */
  details: Json;
}

const at = (path: string, apiName: string, extra: Json = {}): Json => ({
  json_path: path,
  api_name: apiName,
  ...extra,
});
const R0 = '$.resource[0]';
const M = (i: number) => `${R0}.field_mappings[${i}]`;

const ERRORS: ErrorCase[] = [
  // The body and its top-level keys.
  { what: 'a body that is not an object', body: [], code: 'INVALID_DATA', details: at('$', 'body') },
  // Issue 16.13: codes of Zoho's v8 OpenAPI file (v8.0/bulk_write/bulk_write.yaml), where it names their trigger.
  {
    what: 'a body that is not an object (OAS8: a malformed payload)',
    body: [],
    version: 'v8',
    code: 'INVALID_REQUEST',
    details: at('$', 'body'),
  },
  {
    what: 'a file id no upload has (OAS8: "no uploaded file exists for the supplied file ID")',
    body: leads({ file_id: '4150868000009999999' }),
    version: 'v8',
    code: 'FILE_NOT_FOUND',
    details: at(`${R0}.file_id`, 'file_id'),
  },
  {
    what: 'a file id that cannot be one (v8 too)',
    body: leads({ file_id: 'abc' }),
    version: 'v8',
    code: 'INVALID_FILE_ID',
    details: at(`${R0}.file_id`, 'file_id'),
  },
  {
    what: 'a file id no upload has (before v8)',
    body: leads({ file_id: '4150868000009999999' }),
    code: 'INVALID_FILE_ID',
    details: at(`${R0}.file_id`, 'file_id'),
  },
  {
    what: 'no operation',
    body: { resource: [] },
    code: 'MANDATORY_NOT_FOUND',
    details: at('$.operation', 'operation'),
  },
  {
    what: 'an unknown operation',
    body: leads({}, { operation: 'delete' }),
    code: 'INVALID_DATA',
    details: at('$.operation', 'operation', { supported_values: ['insert', 'update', 'upsert'] }),
  },
  {
    what: 'an unknown character_encoding',
    body: leads({}, { character_encoding: 'no-such-encoding' }),
    code: 'INVALID_DATA',
    details: at('$.character_encoding', 'character_encoding'),
  },
  {
    what: 'a character_encoding that is not a string',
    body: leads({}, { character_encoding: 8 }),
    code: 'INVALID_DATA',
    details: at('$.character_encoding', 'character_encoding', { expected_data_type: 'string' }),
  },
  {
    what: 'an ignore_empty that is not a boolean',
    body: leads({}, { ignore_empty: 'yes' }),
    code: 'INVALID_DATA',
    details: at('$.ignore_empty', 'ignore_empty', { expected_data_type: 'boolean' }),
  },
  // The callback.
  {
    what: 'a callback that is not an object',
    body: leads({}, { callback: 'https://example.test' }),
    code: 'INVALID_DATA',
    details: at('$.callback', 'callback'),
  },
  {
    what: 'a callback without url',
    body: leads({}, { callback: { method: 'post' } }),
    code: 'MANDATORY_NOT_FOUND',
    details: at('$.callback.url', 'url'),
  },
  {
    what: 'a callback url that is not http(s)',
    body: leads({}, { callback: { url: 'ftp://example.test/x', method: 'post' } }),
    code: 'INVALID_DATA',
    details: at('$.callback.url', 'url'),
  },
  {
    what: 'a callback without method',
    body: leads({}, { callback: { url: 'https://example.test/x' } }),
    code: 'MANDATORY_NOT_FOUND',
    details: at('$.callback.method', 'method'),
  },
  {
    what: 'a callback method other than post before v8',
    body: leads({}, { callback: { url: 'https://example.test/x', method: 'get' } }),
    code: 'INVALID_DATA',
    details: at('$.callback.method', 'method', { supported_callback_methods: ['post'] }),
  },
  {
    what: 'a callback method other than post on v8',
    body: leads({}, { callback: { url: 'https://example.test/x', method: 'get' } }),
    version: 'v8',
    code: 'INVALID_CALLBACK_METHOD',
    details: { supported_callback_methods: ['post'] },
  },
  // The resource list.
  {
    what: 'no resource',
    body: { operation: 'insert' },
    code: 'MANDATORY_NOT_FOUND',
    details: at('$.resource', 'resource'),
  },
  {
    what: 'an empty resource list',
    body: { operation: 'insert', resource: [] },
    code: 'INVALID_DATA',
    details: at('$.resource', 'resource'),
  },
  {
    what: 'two resources before v6',
    body: quoteJob(quote(), item()),
    code: 'INVALID_DATA',
    details: at('$.resource', 'resource', { supported_resources: 1 }),
  },
  {
    what: 'more resources than a zip holds CSVs',
    body: quoteJob(...Array.from({ length: 11 }, () => quote())),
    version: 'v8',
    code: 'INVALID_DATA',
    details: at('$.resource', 'resource', { limit: 10 }),
  },
  // One resource: type and module.
  {
    what: 'a resource that is not an object',
    body: { operation: 'insert', resource: ['x'] },
    code: 'INVALID_DATA',
    details: at(R0, 'resource'),
  },
  {
    what: 'a resource without type',
    body: leads({ type: undefined }),
    code: 'MANDATORY_NOT_FOUND',
    details: at(`${R0}.type`, 'type'),
  },
  {
    what: 'a resource type other than data',
    body: leads({ type: 'file' }),
    code: 'INVALID_DATA',
    details: at(`${R0}.type`, 'type', { supported_values: ['data'] }),
  },
  {
    what: 'a resource without module',
    body: leads({ module: '' }),
    code: 'MANDATORY_NOT_FOUND',
    details: at(`${R0}.module`, 'module'),
  },
  {
    what: 'a module object with neither api_name nor id',
    body: leads({ module: {} }),
    code: 'MANDATORY_NOT_FOUND',
    details: at(`${R0}.module.api_name`, 'api_name'),
  },
  {
    what: 'a module that is a number',
    body: leads({ module: 7 }),
    code: 'INVALID_DATA',
    details: at(`${R0}.module`, 'module'),
  },
  {
    what: 'a module bulk write does not take',
    body: leads({ module: { api_name: 'Notes' } }),
    code: 'MODULE_NOT_AVAILABLE',
    details: at(`${R0}.module`, 'module', { module: 'Notes' }),
  },
  {
    what: 'a linking module as the first resource',
    body: {
      operation: 'insert',
      resource: [{ type: 'data', module: 'LeadsXProducts', file_id: LINKS, file_names: ['Links.csv'] }],
    },
    version: 'v8',
    catalogue: WITH_LINKING,
    code: 'INVALID_DATA',
    details: at(`${R0}.module`, 'module'),
  },
  // The file and its CSV.
  {
    what: 'a resource without file_id',
    body: leads({ file_id: null }),
    code: 'MANDATORY_NOT_FOUND',
    details: at(`${R0}.file_id`, 'file_id'),
  },
  {
    what: 'an unknown file_id',
    body: leads({ file_id: '999' }),
    code: 'INVALID_FILE_ID',
    details: at(`${R0}.file_id`, 'file_id'),
  },
  {
    what: 'file_names that is not a list of names',
    body: leads({ file_names: 'leads.csv' }),
    version: 'v8',
    code: 'INVALID_DATA',
    details: at(`${R0}.file_names`, 'file_names'),
  },
  {
    what: 'file_names with two names',
    body: leads({ file_names: ['leads.csv', 'other.csv'] }),
    version: 'v8',
    code: 'INVALID_DATA',
    details: at(`${R0}.file_names`, 'file_names', { limit: 1 }),
  },
  {
    what: 'file_names naming no CSV of the zip',
    body: leads({ file_names: ['other.csv'] }),
    version: 'v8',
    code: 'INVALID_DATA',
    details: at(`${R0}.file_names`, 'file_names', { file_names_in_zip: ['leads.csv'] }),
  },
  {
    what: 'a zip of several CSVs before v6',
    body: quoteJob(quote()),
    code: 'INVALID_DATA',
    details: at(`${R0}.file_id`, 'file_id', { file_names_in_zip: ['Quotes.csv', 'Quoted_Items.csv'] }),
  },
  {
    what: 'a zip of several CSVs without file_names',
    body: quoteJob({ ...quote(), file_names: undefined }),
    version: 'v8',
    code: 'MANDATORY_NOT_FOUND',
    details: at(`${R0}.file_names`, 'file_names'),
  },
  {
    what: 'a CSV with more columns than allowed',
    body: leads({ file_id: WIDE }),
    code: 'HEADER_LIMIT_EXCEEDED',
    details: at(`${R0}.file_id`, 'file_id', { limit: 10 }),
  },
  {
    what: 'a CSV with more rows than allowed',
    body: leads({ file_id: LONG }),
    code: 'LIMIT_EXCEEDED',
    details: at(`${R0}.file_id`, 'file_id', { limit: 100 }),
  },
  // find_by and ignore_empty.
  {
    what: 'an update without find_by',
    body: leads({}, { operation: 'update' }),
    code: 'MANDATORY_NOT_FOUND',
    details: at(`${R0}.find_by`, 'find_by'),
  },
  {
    what: 'a find_by naming no field',
    body: leads({ find_by: 'Nope' }, { operation: 'upsert' }),
    code: 'INVALID_FIELD',
    details: at(`${R0}.find_by`, 'Nope'),
  },
  {
    what: 'a find_by on a field that is not unique',
    body: leads({ find_by: 'Company' }, { operation: 'upsert' }),
    code: 'INVALID_DATA',
    details: at(`${R0}.find_by`, 'find_by'),
  },
  {
    what: 'a resource ignore_empty that is not a boolean',
    body: leads({ ignore_empty: 1 }),
    code: 'INVALID_DATA',
    details: at(`${R0}.ignore_empty`, 'ignore_empty', { expected_data_type: 'boolean' }),
  },
  // Field mappings.
  {
    what: 'field_mappings that is not a list',
    body: leads({ field_mappings: {} }),
    code: 'INVALID_DATA',
    details: at(`${R0}.field_mappings`, 'field_mappings'),
  },
  {
    what: 'more mappings than allowed',
    body: mapped(Array.from({ length: 8 }, (_, i) => ({ api_name: `Field_${i}`, index: 0 }))),
    code: 'HEADER_LIMIT_EXCEEDED',
    details: at(`${R0}.field_mappings`, 'field_mappings', { limit: 10 }),
  },
  {
    what: 'a mapping that is not an object',
    body: leads({ field_mappings: [3] }),
    code: 'INVALID_DATA',
    details: at(M(0), 'field_mappings'),
  },
  {
    what: 'a mapping without api_name',
    body: leads({ field_mappings: [{ index: 0 }] }),
    code: 'MANDATORY_NOT_FOUND',
    details: at(`${M(0)}.api_name`, 'api_name'),
  },
  {
    what: 'a default_value that is not an object',
    body: mapped([{ api_name: 'Lead_Source', default_value: 'Web' }]),
    code: 'INVALID_DATA',
    details: at(`${M(3)}.default_value`, 'default_value'),
  },
  {
    what: 'a mapping with neither index nor default_value',
    body: mapped([{ api_name: 'Lead_Source' }]),
    code: 'MANDATORY_NOT_FOUND',
    details: at(`${M(3)}.index`, 'index'),
  },
  {
    what: 'an index past the last column',
    body: mapped([{ api_name: 'Lead_Source', index: 3 }]),
    code: 'COLUMN_INDEX_NOT_FOUND',
    details: at(`${M(3)}.index`, 'Lead_Source', { index: 3 }),
  },
  {
    what: 'a negative index',
    body: mapped([{ api_name: 'Lead_Source', index: -1 }]),
    code: 'COLUMN_INDEX_NOT_FOUND',
    details: at(`${M(3)}.index`, 'Lead_Source', { index: -1 }),
  },
  {
    what: 'a format that is not a string',
    body: mapped([{ api_name: 'Lead_Source', index: 2, format: 1 }]),
    code: 'INVALID_DATA',
    details: at(`${M(3)}.format`, 'format', { expected_data_type: 'string' }),
  },
  {
    what: 'a mapping to an unknown field',
    body: mapped([{ api_name: 'Nope', index: 2 }]),
    code: 'INVALID_FIELD',
    details: at(`${M(3)}.api_name`, 'Nope'),
  },
  {
    what: 'a mapping to a read-only field',
    body: mapped([{ api_name: 'Full_Name', index: 2 }]),
    code: 'INVALID_FIELD',
    details: at(`${M(3)}.api_name`, 'Full_Name'),
  },
  {
    what: 'a mapping to id on insert',
    body: mapped([{ api_name: 'id', index: 2 }]),
    code: 'INVALID_FIELD',
    details: at(`${M(3)}.api_name`, 'id'),
  },
  {
    what: 'a header naming an unknown field, auto-mapped',
    body: leads({ file_id: ODD }),
    code: 'INVALID_FIELD',
    details: at('$.file.header[1]', 'Nope'),
  },
  {
    what: 'a field mapped twice',
    body: mapped([{ api_name: 'Company', index: 2 }]),
    code: 'INVALID_DATA',
    details: at(M(3), 'Company'),
  },
  {
    what: 'a format on a field that is neither a date nor a number',
    body: mapped([{ api_name: 'Lead_Source', index: 2, format: 'yyyy' }]),
    code: 'INVALID_FORMAT',
    details: at(`${M(3)}.format`, 'Lead_Source'),
  },
  {
    // Zoho links "the allowed formats for Date, Date/Time, and Number fields" from the create-job page.
    what: 'a number format that is not one (a letter in it)',
    body: mapped([{ api_name: 'No_of_Employees', index: 2, format: '#,##x' }]),
    code: 'INVALID_FORMAT',
    details: at(`${M(3)}.format`, 'No_of_Employees'),
  },
  {
    what: 'a number format that groups digits unevenly',
    body: mapped([{ api_name: 'Annual_Revenue', index: 2, format: '#,#,##0.00' }]),
    code: 'INVALID_FORMAT',
    details: at(`${M(3)}.format`, 'Annual_Revenue'),
  },
  {
    what: 'a date format that does not parse',
    body: contacts({ api_name: 'Date_of_Birth', index: 1, format: 'qq/zz' }),
    code: 'INVALID_FORMAT',
    details: at(`${M(1)}.format`, 'Date_of_Birth'),
  },
  {
    what: 'a find_by on a mapping that is not a lookup',
    body: mapped([{ api_name: 'Lead_Source', index: 2, find_by: 'id' }]),
    code: 'INVALID_DATA',
    details: at(`${M(3)}.find_by`, 'find_by'),
  },
  {
    what: 'an Owner find_by other than id or email',
    body: mapped([{ api_name: 'Owner', index: 2, find_by: 'name' }]),
    code: 'INVALID_DATA',
    details: at(`${M(3)}.find_by`, 'find_by'),
  },
  {
    what: 'a lookup find_by on a field of the target that is not unique',
    body: contacts({ api_name: 'Account_Name', index: 2, find_by: 'Phone' }),
    code: 'INVALID_DATA',
    details: at(`${M(1)}.find_by`, 'find_by'),
  },
  // Issue 16.10: on a field that is not a lookup, find_by may only name the field itself (Zoho's sample
  // sends Email/find_by email); anything else there is refused.
  {
    what: 'a find_by on an email field naming another field',
    body: mapped([], {
      field_mappings: [
        { api_name: 'Last_Name', index: 0 },
        { api_name: 'Email', index: 1, find_by: 'Company' },
      ],
    }),
    code: 'INVALID_DATA',
    details: at(`${M(1)}.find_by`, 'find_by'),
  },
  // Issue 16.6 (DOC7: id, unique fields, display fields): Phone of Accounts is neither unique nor the display field.
  {
    what: 'a lookup find_by on the display field of a module the lookup does not point at',
    body: contacts({ api_name: 'Account_Name', index: 2, find_by: 'Full_Name' }),
    code: 'INVALID_DATA',
    details: at(`${M(1)}.find_by`, 'find_by'),
  },
  // Issue 16.7: field_mappings[].module names the related module of a lookup-style mapping.
  {
    what: 'a mapping module on a field that is not a lookup',
    body: mapped([{ api_name: 'Lead_Source', index: 2, module: 'Accounts' }]),
    code: 'INVALID_DATA',
    details: at(`${M(3)}.module`, 'module'),
  },
  {
    what: 'a mapping module other than the lookup’s own',
    body: contacts({ api_name: 'Account_Name', index: 2, module: 'Vendors' }),
    code: 'INVALID_DATA',
    details: at(`${M(1)}.module`, 'module', { supported_values: ['Accounts'] }),
  },
  {
    what: 'a What_Id mapping module that What_Id cannot point at',
    body: tasks([{ api_name: 'What_Id', index: 1, module: 'Contacts' }]),
    code: 'INVALID_DATA',
    details: at(`${M(1)}.module`, 'module'),
  },
  // Issue 16.8: default_value {name, module} is resolved or refused, never dropped.
  {
    what: 'a default_value with a key it does not take',
    body: contacts({ api_name: 'Account_Name', index: 2, default_value: { id: '1' } }),
    code: 'INVALID_DATA',
    details: at(`${M(1)}.default_value.id`, 'default_value'),
  },
  {
    what: 'a default_value with neither value nor name',
    body: contacts({ api_name: 'Account_Name', index: 2, default_value: { module: 'Accounts' } }),
    code: 'MANDATORY_NOT_FOUND',
    details: at(`${M(1)}.default_value.value`, 'value'),
  },
  {
    what: 'a default_value with value and name (before v8)',
    body: contacts({ api_name: 'Account_Name', index: 2, default_value: { value: '1', name: 'Acme' } }),
    code: 'INVALID_DATA',
    details: at(`${M(1)}.default_value.name`, 'name'),
  },
  {
    what: 'a default_value with value and name (OAS8: mutually exclusive keys)',
    body: contacts({ api_name: 'Account_Name', index: 2, default_value: { value: '1', name: 'Acme' } }),
    version: 'v8',
    code: 'COEXISTENCE_NOT_ALLOWED',
    details: at(`${M(1)}.default_value.name`, 'name'),
  },
  {
    what: 'a default_value name on a field that is not a lookup',
    body: mapped([{ api_name: 'Lead_Source', default_value: { name: 'Web' } }]),
    code: 'INVALID_DATA',
    details: at(`${M(3)}.default_value.name`, 'name'),
  },
  {
    what: 'a default_value name for What_Id without a module',
    body: tasks([{ api_name: 'What_Id', default_value: { name: 'Acme' } }]),
    code: 'MANDATORY_NOT_FOUND',
    details: at(`${M(1)}.default_value.module`, 'module'),
  },
  {
    what: 'a default_value module the lookup does not point at',
    body: contacts({ api_name: 'Account_Name', index: 2, default_value: { name: 'Acme', module: 'Vendors' } }),
    code: 'INVALID_DATA',
    details: at(`${M(1)}.default_value.module`, 'module'),
  },
  // Issue 16.9: a Layout default must be one of the module's layouts (by id or name), not any digits.
  {
    what: 'a Layout default_value id the module has no layout with',
    body: mapped([{ api_name: 'Layout', default_value: { value: '4150868000000091055' } }]),
    code: 'INVALID_DATA',
    details: at(`${M(3)}.default_value.value`, 'value'),
  },
  {
    what: 'a Layout default_value name the module has no layout with',
    body: mapped([{ api_name: 'Layout', default_value: { name: 'Partners' } }]),
    code: 'INVALID_DATA',
    details: at(`${M(3)}.default_value.name`, 'name'),
  },
  {
    what: 'a parent_column_index that is not an integer',
    body: mapped([{ api_name: 'Lead_Source', index: 2, parent_column_index: 'x' }]),
    version: 'v8',
    code: 'INVALID_DATA',
    details: at(`${M(3)}.parent_column_index`, 'parent_column_index', { expected_data_type: 'integer' }),
  },
  // What must be mapped.
  {
    what: 'What_Id mapped without $se_module',
    body: {
      operation: 'insert',
      resource: [
        {
          type: 'data',
          module: 'Tasks',
          file_id: TASKS,
          field_mappings: [
            { api_name: 'Subject', index: 0 },
            { api_name: 'What_Id', index: 1 },
          ],
        },
      ],
    },
    code: 'MANDATORY_FIELDS_NOT_MAPPED',
    details: at(`${R0}.field_mappings`, '$se_module', { missing_fields: ['$se_module'] }),
  },
  {
    what: 'a find_by field that is not mapped',
    body: leads({ find_by: 'Email', field_mappings: [{ api_name: 'Last_Name', index: 0 }] }, { operation: 'upsert' }),
    code: 'MANDATORY_FIELDS_NOT_MAPPED',
    details: at(`${R0}.find_by`, 'Email'),
  },
  {
    what: 'an insert that does not map a mandatory field',
    body: leads({ field_mappings: [{ api_name: 'Company', index: 2 }] }),
    code: 'MANDATORY_FIELDS_NOT_MAPPED',
    details: at(`${R0}.field_mappings`, 'Last_Name', { missing_fields: ['Last_Name'] }),
  },
  {
    what: 'an upsert that does not map a mandatory field',
    body: leads(
      {
        find_by: 'Email',
        field_mappings: [
          { api_name: 'Email', index: 1 },
          { api_name: 'Company', index: 2 },
        ],
      },
      { operation: 'upsert' },
    ),
    code: 'MANDATORY_FIELDS_NOT_MAPPED',
    details: at(`${R0}.field_mappings`, 'Last_Name', { missing_fields: ['Last_Name'] }),
  },
  // Parent and children.
  {
    what: 'a child resource without field_mappings',
    body: quoteJob(quote(), item(undefined, { field_mappings: undefined })),
    version: 'v8',
    code: 'MANDATORY_NOT_FOUND',
    details: at('$.resource[1].field_mappings', 'field_mappings'),
  },
  {
    what: 'two resources reading one CSV',
    body: quoteJob(quote(), quote()),
    version: 'v8',
    code: 'INVALID_DATA',
    details: at('$.resource[1].file_names', 'file_names'),
  },
  {
    what: 'a parent_column_index on the parent',
    body: quoteJob(
      quote([
        { api_name: 'Subject', index: 1, parent_column_index: 0 },
        { api_name: 'Account_Name', index: 2 },
      ]),
      item(),
    ),
    version: 'v8',
    code: 'INVALID_DATA',
    details: at(`${M(0)}.parent_column_index`, 'parent_column_index'),
  },
  {
    what: 'a child without parent_column_index',
    body: quoteJob(quote(), item([{ api_name: 'Parent_Id', index: 0 }, ...ITEM_MAPPINGS.slice(1)])),
    version: 'v8',
    code: 'MANDATORY_NOT_FOUND',
    details: at('$.resource[1].field_mappings', 'parent_column_index'),
  },
  {
    what: 'a child with two parent_column_index',
    body: quoteJob(quote(), item([...ITEM_MAPPINGS, { api_name: 'Description', index: 3, parent_column_index: 0 }])),
    version: 'v8',
    code: 'INVALID_DATA',
    details: at('$.resource[1].field_mappings[3].parent_column_index', 'parent_column_index'),
  },
  {
    what: 'a parent_column_index on a field that does not point at the parent',
    body: quoteJob(
      quote(),
      item([
        { api_name: 'Parent_Id', index: 0 },
        { api_name: 'Product_Name', index: 1, parent_column_index: 0 },
        { api_name: 'Quantity', index: 2 },
      ]),
    ),
    version: 'v8',
    code: 'INVALID_DATA',
    details: at('$.resource[1].field_mappings[1].parent_column_index', 'parent_column_index'),
  },
  {
    what: 'a link to the parent without index',
    body: quoteJob(
      quote(),
      item([
        { api_name: 'Parent_Id', default_value: { value: 'Q' }, parent_column_index: 0 },
        ...ITEM_MAPPINGS.slice(1),
      ]),
    ),
    version: 'v8',
    code: 'MANDATORY_NOT_FOUND',
    details: at('$.resource[1].field_mappings[0].index', 'index'),
  },
  {
    what: "a parent_column_index past the parent CSV's columns",
    body: quoteJob(
      quote(),
      item([{ api_name: 'Parent_Id', index: 0, parent_column_index: 3 }, ...ITEM_MAPPINGS.slice(1)]),
    ),
    version: 'v8',
    code: 'COLUMN_INDEX_NOT_FOUND',
    details: at('$.resource[1].field_mappings[0].parent_column_index', 'Parent_Id', { index: 3 }),
  },
  {
    what: 'a parent_column_index in a one-resource job',
    body: mapped([{ api_name: 'Lead_Source', index: 2, parent_column_index: 0 }]),
    version: 'v8',
    code: 'INVALID_DATA',
    details: at(`${M(3)}.parent_column_index`, 'parent_column_index'),
  },
];

const context = (version?: string, catalogue?: JobRequestContext['catalogue']): JobRequestContext => ({
  files: FILES,
  limits: LIMITS,
  ...(version ? { version: apiVersionOf(version) } : {}),
  ...(catalogue ? { catalogue } : {}),
});

describe('validateJobRequest', () => {
  for (const c of ERRORS) {
    it(`answers ${c.what} with ${c.code}${c.version ? ` (${c.version})` : ''}`, () => {
      let thrown: unknown;
      try {
        validateJobRequest(c.body, context(c.version, c.catalogue));
      } catch (e) {
        thrown = e;
      }
      assert.ok(thrown instanceof ZohoError, `no ZohoError: ${String(thrown)}`);
      assert.equal(thrown.code, c.code, thrown.message);
      for (const [k, v] of Object.entries(c.details)) assert.deepEqual(thrown.details[k], v, `details.${k}`);
    });
  }

  const HAPPY: Array<{ what: string; body: Json; version?: string; expect: (spec: JobSpec) => void }> = [
    {
      what: 'a number format on a currency field (Zoho: allowed formats for Date, Date/Time and Number fields)',
      body: mapped([{ api_name: 'Annual_Revenue', index: 2, format: '#.##0,00' }]),
      expect: (spec) => assert.equal(spec.resources[0]!.fieldMappings[3]!.format, '#.##0,00'),
    },
    {
      what: 'an auto-mapped insert: the header names the fields',
      body: leads(),
      expect: (spec) =>
        assert.deepEqual(spec, {
          operation: 'insert',
          characterEncoding: 'UTF-8',
          ignoreEmpty: false,
          ignoreEmptyGiven: false,
          callback: null,
          resources: [
            {
              type: 'data',
              module: { apiName: 'Leads', id: '4150868000000002175' },
              fileId: LEADS,
              findBy: null,
              ignoreEmpty: null,
              fieldMappings: ['Last_Name', 'Email', 'Company'].map((apiName, index) => fieldMapping(apiName, index)),
              autoMapped: true,
            },
          ],
        }),
    },
    {
      what: 'an upsert with mappings, ignore_empty at both levels, a callback (spelt callBack) and numbers for ids',
      body: {
        operation: 'upsert',
        character_encoding: 'windows-1252',
        ignore_empty: true,
        callBack: { url: 'https://example.test/done', method: 'POST' },
        resource: [
          {
            type: 'data',
            module: 'Leads',
            file_id: Number(LEADS),
            find_by: 'Email',
            ignore_empty: false,
            field_mappings: [
              { api_name: 'Last_Name', index: 0 },
              { api_name: 'Email', index: 1 },
              { api_name: 'Layout', default_value: { value: '4150868000000092175' } },
            ],
          },
        ],
      },
      expect: (spec) => {
        assert.equal(spec.characterEncoding, 'windows-1252');
        assert.deepEqual([spec.ignoreEmpty, spec.ignoreEmptyGiven], [true, true]);
        assert.deepEqual(spec.callback, { url: 'https://example.test/done', method: 'post' });
        const [r] = spec.resources;
        assert.deepEqual([r!.fileId, r!.findBy, r!.ignoreEmpty, r!.autoMapped], [LEADS, 'Email', false, false]);
        assert.deepEqual(
          r!.fieldMappings[2],
          fieldMapping('Layout', null, { defaultValue: { value: '4150868000000092175' } }),
        );
      },
    },
    {
      what: 'an update by id that leaves the mandatory Last_Name unmapped',
      body: leads(
        {
          find_by: 'id',
          field_mappings: [
            { api_name: 'id', index: 0 },
            { api_name: 'Company', index: 2 },
          ],
        },
        { operation: 'update' },
      ),
      expect: (spec) =>
        assert.deepEqual(
          spec.resources[0]!.fieldMappings.map((m) => m.apiName),
          ['id', 'Company'],
        ),
    },
    {
      what: 'a parent and its child on v8, each reading its own CSV of one zip',
      body: quoteJob(quote(), item()),
      version: 'v8',
      expect: (spec) => {
        const [parent, child] = spec.resources;
        assert.deepEqual([parent!.csvName, parent!.csvRows, parent!.fileNames], ['Quotes.csv', 3, ['Quotes.csv']]);
        assert.deepEqual([child!.csvName, child!.csvRows], ['Quoted_Items.csv', 5]);
        assert.equal(child!.fieldMappings[0]!.parentColumnIndex, 0);
        assert.equal(parent!.fieldMappings[0]!.parentColumnIndex, null);
      },
    },
    {
      // Issue 16.10, Zoho's own parent/child sample (create-job page, "Request JSON for parent-child modules").
      what: "Zoho's sample mapping {api_name: Email, find_by: email}, kept as sent",
      body: mapped([], {
        field_mappings: [
          { api_name: 'Last_Name', index: 0 },
          { api_name: 'Email', find_by: 'email', index: 1 },
          { api_name: 'Company', index: 2 },
        ],
      }),
      expect: (spec) => assert.equal(spec.resources[0]!.fieldMappings[1]!.findBy, 'email'),
    },
    {
      // Issue 16.6: display fields (DOC7: "display columns/fields … as find_by fields").
      what: 'line items by Product_Name and a lookup to Contacts by Full_Name',
      body: quoteJob(
        quote(),
        item([
          { api_name: 'Parent_Id', index: 0, parent_column_index: 0 },
          { api_name: 'Product_Name', index: 1, find_by: 'Product_Name' },
          { api_name: 'Quantity', index: 2 },
        ]),
      ),
      version: 'v8',
      expect: (spec) => assert.equal(spec.resources[1]!.fieldMappings[1]!.findBy, 'Product_Name'),
    },
    {
      what: 'a lookup to Contacts by Full_Name',
      body: {
        operation: 'insert',
        resource: [
          {
            type: 'data',
            module: 'Deals',
            file_id: CONTACTS,
            field_mappings: [
              { api_name: 'Deal_Name', index: 0 },
              { api_name: 'Stage', default_value: { value: 'Qualification' } },
              { api_name: 'Contact_Name', index: 2, find_by: 'Full_Name' },
            ],
          },
        ],
      },
      expect: (spec) => assert.equal(spec.resources[0]!.fieldMappings[2]!.findBy, 'Full_Name'),
    },
    {
      // Issue 16.7: What_Id with module needs no $se_module; the module also allows a display-field find_by.
      what: 'What_Id with a mapping module and no $se_module',
      body: tasks([{ api_name: 'What_Id', index: 1, module: 'Accounts', find_by: 'Account_Name' }]),
      expect: (spec) => assert.equal(spec.resources[0]!.fieldMappings[1]!.module, 'Accounts'),
    },
    {
      // Issue 16.8: the v4+ SDKs' DefaultValue {value, name, module}.
      what: 'a lookup default_value {name, module} and a What_Id default naming its module',
      body: tasks([
        { api_name: 'What_Id', default_value: { name: 'Acme', module: 'Accounts' } },
        { api_name: 'Who_Id', index: 2, default_value: { name: 'Ann Lee' } },
      ]),
      expect: (spec) => assert.deepEqual(spec.resources[0]!.fieldMappings[2]!.defaultValue, { name: 'Ann Lee' }),
    },
  ];
  for (const c of HAPPY) {
    it(`takes ${c.what}`, () => c.expect(validateJobRequest(c.body, context(c.version))));
  }
});
