/**
 * The CRM modules bulkwrite accepts, with their real Zoho field API names, types, and mandatory and
 * unique fields. This is the starting catalogue (Leads, Contacts, Accounts, Deals).
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
  | 'layout'
  | 'id';

export interface FieldDef {
  apiName: string;
  type: FieldType;
  /** Maximum length in characters, for text-like fields. */
  length?: number;
  mandatory?: boolean;
  unique?: boolean;
  /** Fields Zoho sets itself (Created_Time, Modified_By, formula, auto-number): a mapping to one is INVALID_FIELD. */
  readOnly?: boolean;
  lookupModule?: string;
  picklist?: string[];
}

export interface ModuleDef {
  apiName: string;
  id: string;
  /** The module's name in OAuth scopes (ZohoCRM.modules.leads.ALL). */
  scopeName: string;
  displayField: string;
  fields: Map<string, FieldDef>;
}

const text = (apiName: string, length = 255, extra: Partial<FieldDef> = {}): FieldDef => ({
  apiName,
  type: 'text',
  length,
  ...extra,
});
const typed = (apiName: string, type: FieldType, extra: Partial<FieldDef> = {}): FieldDef => ({
  apiName,
  type,
  ...extra,
});

const SYSTEM_FIELDS: FieldDef[] = [
  typed('id', 'id'),
  typed('Owner', 'ownerlookup'),
  typed('Layout', 'layout'),
  typed('Created_Time', 'datetime', { readOnly: true }),
  typed('Modified_Time', 'datetime', { readOnly: true }),
  typed('Created_By', 'ownerlookup', { readOnly: true }),
  typed('Modified_By', 'ownerlookup', { readOnly: true }),
  typed('Last_Activity_Time', 'datetime', { readOnly: true }),
  typed('Tag', 'text', { readOnly: true }),
];

const ADDRESS = (prefix: string): FieldDef[] => [
  text(`${prefix}Street`, 250),
  text(`${prefix}City`, 100),
  text(`${prefix}State`, 100),
  text(`${prefix}Zip_Code`, 30),
  text(`${prefix}Country`, 100),
];

const LEAD_SOURCES = [
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
const INDUSTRIES = [
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
const RATINGS = ['-None-', 'Acquired', 'Active', 'Market Failed', 'Project Cancelled', 'Shut Down'];

function moduleDef(apiName: string, id: string, displayField: string, fields: FieldDef[]): ModuleDef {
  return {
    apiName,
    id,
    scopeName: apiName.toLowerCase(),
    displayField,
    fields: new Map([...SYSTEM_FIELDS, ...fields].map((f) => [f.apiName, f])),
  };
}

export const MODULES: readonly ModuleDef[] = [
  moduleDef('Leads', '4150868000000002175', 'Full_Name', [
    text('Company', 200),
    text('First_Name', 40),
    text('Last_Name', 80, { mandatory: true }),
    typed('Full_Name', 'text', { readOnly: true }),
    typed('Salutation', 'picklist', { picklist: ['-None-', 'Mr.', 'Mrs.', 'Ms.', 'Dr.', 'Prof.'] }),
    text('Designation', 100),
    typed('Email', 'email', { unique: true }),
    typed('Secondary_Email', 'email'),
    typed('Phone', 'phone', { length: 30 }),
    typed('Mobile', 'phone', { length: 30 }),
    typed('Fax', 'phone', { length: 30 }),
    typed('Website', 'website', { length: 255 }),
    typed('Lead_Source', 'picklist', { picklist: LEAD_SOURCES }),
    typed('Lead_Status', 'picklist', {
      picklist: [
        '-None-',
        'Attempted to Contact',
        'Contact in Future',
        'Contacted',
        'Junk Lead',
        'Lost Lead',
        'Not Contacted',
        'Pre-Qualified',
        'Not Qualified',
      ],
    }),
    typed('Industry', 'picklist', { picklist: INDUSTRIES }),
    typed('No_of_Employees', 'integer'),
    typed('Annual_Revenue', 'currency'),
    typed('Rating', 'picklist', { picklist: RATINGS }),
    typed('Email_Opt_Out', 'boolean'),
    text('Skype_ID', 50),
    text('Twitter', 50),
    ...ADDRESS(''),
    typed('Description', 'textarea', { length: 32000 }),
  ]),
  moduleDef('Contacts', '4150868000000002179', 'Full_Name', [
    text('First_Name', 40),
    text('Last_Name', 80, { mandatory: true }),
    typed('Full_Name', 'text', { readOnly: true }),
    typed('Salutation', 'picklist', { picklist: ['-None-', 'Mr.', 'Mrs.', 'Ms.', 'Dr.', 'Prof.'] }),
    typed('Account_Name', 'lookup', { lookupModule: 'Accounts' }),
    typed('Vendor_Name', 'lookup', { lookupModule: 'Vendors', readOnly: true }),
    typed('Reporting_To', 'lookup', { lookupModule: 'Contacts' }),
    text('Title', 100),
    text('Department', 100),
    typed('Email', 'email', { unique: true }),
    typed('Secondary_Email', 'email'),
    typed('Phone', 'phone', { length: 30 }),
    typed('Home_Phone', 'phone', { length: 30 }),
    typed('Other_Phone', 'phone', { length: 30 }),
    typed('Mobile', 'phone', { length: 30 }),
    typed('Asst_Phone', 'phone', { length: 30 }),
    text('Assistant', 100),
    typed('Fax', 'phone', { length: 30 }),
    typed('Date_of_Birth', 'date'),
    typed('Lead_Source', 'picklist', { picklist: LEAD_SOURCES }),
    typed('Email_Opt_Out', 'boolean'),
    text('Skype_ID', 50),
    text('Twitter', 50),
    ...ADDRESS('Mailing_'),
    ...ADDRESS('Other_'),
    typed('Description', 'textarea', { length: 32000 }),
  ]),
  moduleDef('Accounts', '4150868000000002177', 'Account_Name', [
    text('Account_Name', 200, { mandatory: true, unique: true }),
    text('Account_Number', 40),
    text('Account_Site', 80),
    typed('Parent_Account', 'lookup', { lookupModule: 'Accounts' }),
    typed('Account_Type', 'picklist', {
      picklist: [
        '-None-',
        'Analyst',
        'Competitor',
        'Customer',
        'Distributor',
        'Integrator',
        'Investor',
        'Other',
        'Partner',
        'Press',
        'Prospect',
        'Reseller',
        'Supplier',
        'Vendor',
      ],
    }),
    typed('Industry', 'picklist', { picklist: INDUSTRIES }),
    typed('Annual_Revenue', 'currency'),
    typed('Employees', 'integer'),
    typed('Ownership', 'picklist', {
      picklist: [
        '-None-',
        'Other',
        'Private',
        'Public',
        'Subsidiary',
        'Partnership',
        'Government',
        'Privately Held',
        'Public Company',
      ],
    }),
    typed('Rating', 'picklist', { picklist: RATINGS }),
    typed('Phone', 'phone', { length: 30 }),
    typed('Fax', 'phone', { length: 30 }),
    typed('Website', 'website', { length: 255 }),
    text('Ticker_Symbol', 30),
    text('SIC_Code', 30),
    ...ADDRESS('Billing_'),
    ...ADDRESS('Shipping_'),
    typed('Description', 'textarea', { length: 32000 }),
  ]),
  moduleDef('Deals', '4150868000000002181', 'Deal_Name', [
    text('Deal_Name', 120, { mandatory: true }),
    typed('Amount', 'currency'),
    typed('Closing_Date', 'date'),
    typed('Stage', 'picklist', {
      mandatory: true,
      picklist: [
        'Qualification',
        'Needs Analysis',
        'Value Proposition',
        'Identify Decision Makers',
        'Proposal/Price Quote',
        'Negotiation/Review',
        'Closed Won',
        'Closed Lost',
        'Closed Lost to Competition',
      ],
    }),
    typed('Account_Name', 'lookup', { lookupModule: 'Accounts' }),
    typed('Contact_Name', 'lookup', { lookupModule: 'Contacts' }),
    typed('Type', 'picklist', { picklist: ['-None-', 'Existing Business', 'New Business'] }),
    typed('Probability', 'percent'),
    typed('Expected_Revenue', 'currency', { readOnly: true }),
    text('Next_Step', 100),
    typed('Lead_Source', 'picklist', { picklist: LEAD_SOURCES }),
    typed('Description', 'textarea', { length: 32000 }),
  ]),
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
