import type { FieldType } from './modules.js';

/**
 * Zoho's `data_type` name for each field type: what the fields metadata API answers, and what a
 * custom schema names. Decimal fields are `double`; record ids read as `bigint`.
 */
export const ZOHO_DATA_TYPE: Record<FieldType, string> = {
  text: 'text',
  textarea: 'textarea',
  email: 'email',
  phone: 'phone',
  website: 'website',
  integer: 'integer',
  bigint: 'bigint',
  decimal: 'double',
  currency: 'currency',
  percent: 'percent',
  boolean: 'boolean',
  date: 'date',
  datetime: 'datetime',
  picklist: 'picklist',
  multiselectpicklist: 'multiselectpicklist',
  lookup: 'lookup',
  ownerlookup: 'ownerlookup',
  multiselectlookup: 'multiselectlookup',
  multiuserlookup: 'multiuserlookup',
  autonumber: 'autonumber',
  formula: 'formula',
  fileupload: 'fileupload',
  subform: 'subform',
  layout: 'layout',
  id: 'bigint',
};

/** Types a custom schema cannot define: they belong to the system. */
const SYSTEM_ONLY: ReadonlySet<FieldType> = new Set(['layout', 'id']);

/** The field type of each `data_type` name a schema may use: Zoho's names, and two common aliases. */
export const SCHEMA_DATA_TYPES: Readonly<Record<string, FieldType>> = {
  ...Object.fromEntries(
    (Object.entries(ZOHO_DATA_TYPE) as Array<[FieldType, string]>)
      .filter(([type]) => !SYSTEM_ONLY.has(type))
      .map(([type, name]) => [name, type]),
  ),
  decimal: 'decimal',
  userlookup: 'ownerlookup',
};
