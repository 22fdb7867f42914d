/**
 * The shape of a CRM module and its fields. The catalogue (modules.ts, and modules/*.ts by area) is
 * written in these types; they live apart from it so the per-area files need not import the catalogue
 * that imports them.
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
  | 'multiuserlookup'
  | 'autonumber'
  | 'formula'
  | 'fileupload'
  | 'subform'
  | 'layout'
  | 'id';

export interface FieldDef {
  apiName: string;
  type: FieldType;
  /** Maximum length in characters, for text-like fields; in digits for number fields (domain/field-values.ts NUMBER_LIMITS). */
  length?: number;
  /** Decimal, currency and percent fields: the digits kept after the decimal point (Zoho's `decimal_place`). */
  decimalPlaces?: number;
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
  /** Multi-select and multi-user lookups: the linking module Zoho keeps the pairs in. */
  linkingModule?: string;
  picklist?: string[];
  /** A picklist whose values are fixed (`$se_module`): an unknown value is INVALID_DATA, not a new option. */
  strictPicklist?: boolean;
  custom?: boolean;
}

/** A layout of a module: Zoho's `{name, id}` as the records API reads it back. */
export interface Layout {
  id: string;
  name: string;
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
  /** The org's own layouts beyond `Standard`, which every module has (layouts.ts). */
  layouts?: readonly Layout[];
}
