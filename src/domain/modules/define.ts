import type { FieldDef, FieldType, ModuleDef } from '../module-def.js';

/** Small builders the per-module catalogue files share, so each file reads as a list of Zoho's fields. */

export const text = (apiName: string, length = 255, extra: Partial<FieldDef> = {}): FieldDef => ({
  apiName,
  type: 'text',
  length,
  ...extra,
});

export const typed = (apiName: string, type: FieldType, extra: Partial<FieldDef> = {}): FieldDef => ({
  apiName,
  type,
  ...extra,
});

export const lookup = (apiName: string, lookupModule: string, extra: Partial<FieldDef> = {}): FieldDef => ({
  apiName,
  type: 'lookup',
  lookupModule,
  ...extra,
});

export const picklist = (apiName: string, values: string[], extra: Partial<FieldDef> = {}): FieldDef => ({
  apiName,
  type: 'picklist',
  picklist: values,
  ...extra,
});

/** Zoho sets these itself; a mapping to one is INVALID_FIELD. */
export const readOnly = (apiName: string, type: FieldType, extra: Partial<FieldDef> = {}): FieldDef => ({
  apiName,
  type,
  readOnly: true,
  ...extra,
});

export const description = (): FieldDef => typed('Description', 'textarea', { length: 32000 });

/** Fields every module has. `Tag` is written through the tags API, not bulk write. */
export const SYSTEM_FIELDS: FieldDef[] = [
  typed('id', 'id'),
  typed('Owner', 'ownerlookup'),
  typed('Layout', 'layout'),
  readOnly('Created_Time', 'datetime'),
  readOnly('Modified_Time', 'datetime'),
  readOnly('Created_By', 'ownerlookup'),
  readOnly('Modified_By', 'ownerlookup'),
  readOnly('Last_Activity_Time', 'datetime'),
  readOnly('Tag', 'text'),
];

export const address = (prefix: string, zip = 'Zip_Code'): FieldDef[] => [
  text(`${prefix}Street`, 250),
  text(`${prefix}City`, 100),
  text(`${prefix}State`, 100),
  text(`${prefix}${zip}`, 30),
  text(`${prefix}Country`, 100),
];

export interface ModuleOptions {
  singularLabel?: string;
  /** Zoho's module name in OAuth scopes: lower case, no underscores (price_books → pricebooks). */
  scopeName?: string;
  custom?: boolean;
}

export function moduleDef(
  apiName: string,
  id: string,
  displayField: string,
  fields: FieldDef[],
  options: ModuleOptions = {},
): ModuleDef {
  return {
    apiName,
    id,
    scopeName: options.scopeName ?? (options.custom ? 'custom' : apiName.toLowerCase().replace(/_/g, '')),
    displayField,
    singularLabel: options.singularLabel ?? apiName.replace(/_/g, ' ').replace(/s$/, ''),
    custom: options.custom === true,
    bulkWritable: true,
    fields: new Map([...SYSTEM_FIELDS, ...fields].map((f) => [f.apiName, f])),
  };
}

/**
 * A module whose rows belong to records of another module: a subform's, a line item's or a linking
 * module's. Its fields are an id, the lookups that tie a row to its records (`links`), the two times Zoho
 * sets, then its own fields; it has no owner nor the other system fields of a module.
 */
export function childModuleDef(
  def: Pick<ModuleDef, 'apiName' | 'id' | 'scopeName' | 'displayField' | 'custom'> &
    Pick<Partial<ModuleDef>, 'subformOf' | 'linkingOf'>,
  links: FieldDef[],
  own: FieldDef[] = [],
): ModuleDef {
  const fields = [
    typed('id', 'id'),
    ...links,
    readOnly('Created_Time', 'datetime'),
    readOnly('Modified_Time', 'datetime'),
    ...own,
  ];
  return {
    ...def,
    singularLabel: def.apiName.replace(/_/g, ' '),
    bulkWritable: true,
    fields: new Map(fields.map((f) => [f.apiName, f])),
  };
}

export const LEAD_SOURCES = [
  '-None-',
  'Advertisement',
  'Cold Call',
  'Employee Referral',
  'External Referral',
  'Online Store',
  'Partner',
  'Public Relations',
  'Sales Email Alias',
  'Seminar Partner',
  'Internal Seminar',
  'Trade Show',
  'Web Download',
  'Web Research',
  'Chat',
];
export const INDUSTRIES = [
  '-None-',
  'ASP (Application Service Provider)',
  'Data/Telecom OEM',
  'ERP (Enterprise Resource Planning)',
  'Government/Military',
  'Large Enterprise',
  'ManagementISV',
  'MSP (Management Service Provider)',
  'Network Equipment Enterprise',
  'Non-management ISV',
  'Optical Networking',
  'Service Provider',
  'Small/Medium Enterprise',
  'Storage Equipment',
  'Storage Service Provider',
  'Systems Integrator',
  'Wireless Industry',
];
export const RATINGS = ['-None-', 'Acquired', 'Active', 'Market Failed', 'Project Cancelled', 'Shut Down'];
export const SALUTATIONS = ['-None-', 'Mr.', 'Mrs.', 'Ms.', 'Dr.', 'Prof.'];
export const CARRIERS = ['-None-', 'FedEX', 'UPS', 'USPS', 'DHL', 'BlueDart'];
