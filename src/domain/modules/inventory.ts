import type { FieldDef, ModuleDef } from '../module-def.js';
import { CARRIERS, childModuleDef, description, lookup, moduleDef, picklist, readOnly, text, typed } from './define.js';

const ORDER_STATUS = ['-None-', 'Created', 'Approved', 'Delivered', 'Cancelled'];

/** Each inventory module's line items: the subform module that holds them (Zoho's v8 names). */
const LINE_ITEMS: Record<string, { module: string; id: string }> = {
  Quotes: { module: 'Quoted_Items', id: '4150868000000002206' },
  Sales_Orders: { module: 'Ordered_Items', id: '4150868000000002208' },
  Purchase_Orders: { module: 'Purchase_Items', id: '4150868000000002210' },
  Invoices: { module: 'Invoiced_Items', id: '4150868000000002212' },
};

/**
 * What Quotes, Sales_Orders, Purchase_Orders and Invoices share. The totals are computed by Zoho from
 * the line items. `Product_Details` (the line items) cannot be mapped in the parent's own resource
 * (INVALID_FIELD): its rows are the child resource of a parent/child job, or a job of their own, in the
 * line-item module (`Quoted_Items` …).
 */
const inventoryCommon = (parent: string): FieldDef[] => [
  text('Subject', 255, { mandatory: true }),
  picklist('Carrier', CARRIERS),
  typed('Adjustment', 'currency'),
  typed('Discount', 'currency'),
  readOnly('Sub_Total', 'currency'),
  readOnly('Tax', 'currency'),
  readOnly('Grand_Total', 'currency'),
  typed('Product_Details', 'subform', { readOnly: true, subformModule: LINE_ITEMS[parent]!.module }),
  text('Billing_Street', 250),
  text('Billing_City', 100),
  text('Billing_State', 100),
  text('Billing_Code', 30),
  text('Billing_Country', 100),
  text('Shipping_Street', 250),
  text('Shipping_City', 100),
  text('Shipping_State', 100),
  text('Shipping_Code', 30),
  text('Shipping_Country', 100),
  typed('Terms_and_Conditions', 'textarea', { length: 32000 }),
  description(),
];

/** Quotes, Sales_Orders, Purchase_Orders and Invoices. */
export const INVENTORY_MODULES: ModuleDef[] = [
  moduleDef('Quotes', '4150868000000002205', 'Subject', [
    ...inventoryCommon('Quotes'),
    readOnly('Quote_Number', 'autonumber'),
    picklist('Quote_Stage', ['Draft', 'Negotiation', 'Delivered', 'On Hold', 'Confirmed', 'Closed Won', 'Closed Lost']),
    typed('Valid_Till', 'date'),
    lookup('Deal_Name', 'Deals'),
    lookup('Contact_Name', 'Contacts'),
    lookup('Account_Name', 'Accounts', { mandatory: true }),
    text('Team', 100),
  ]),
  moduleDef(
    'Sales_Orders',
    '4150868000000002207',
    'Subject',
    [
      ...inventoryCommon('Sales_Orders'),
      readOnly('SO_Number', 'autonumber'),
      text('Customer_No', 100),
      text('Purchase_Order', 100),
      lookup('Quote_Name', 'Quotes'),
      lookup('Deal_Name', 'Deals'),
      lookup('Contact_Name', 'Contacts'),
      lookup('Account_Name', 'Accounts', { mandatory: true }),
      typed('Due_Date', 'date'),
      text('Pending', 100),
      picklist('Status', ORDER_STATUS),
      typed('Excise_Duty', 'currency'),
      typed('Sales_Commission', 'currency'),
    ],
    { singularLabel: 'Sales Order' },
  ),
  moduleDef(
    'Purchase_Orders',
    '4150868000000002209',
    'Subject',
    [
      ...inventoryCommon('Purchase_Orders'),
      text('PO_Number', 100),
      typed('PO_Date', 'date'),
      lookup('Vendor_Name', 'Vendors', { mandatory: true }),
      lookup('Contact_Name', 'Contacts'),
      text('Requisition_No', 100),
      text('Tracking_Number', 100),
      typed('Due_Date', 'date'),
      picklist('Status', ORDER_STATUS),
      typed('Excise_Duty', 'currency'),
      typed('Sales_Commission', 'currency'),
    ],
    { singularLabel: 'Purchase Order' },
  ),
  moduleDef('Invoices', '4150868000000002211', 'Subject', [
    ...inventoryCommon('Invoices'),
    readOnly('Invoice_Number', 'autonumber'),
    typed('Invoice_Date', 'date'),
    typed('Due_Date', 'date'),
    lookup('Sales_Order', 'Sales_Orders'),
    text('Purchase_Order', 100),
    lookup('Deal_Name', 'Deals'),
    lookup('Contact_Name', 'Contacts'),
    lookup('Account_Name', 'Accounts', { mandatory: true }),
    picklist('Status', ORDER_STATUS),
    typed('Excise_Duty', 'currency'),
    typed('Sales_Commission', 'currency'),
  ]),
];

/**
 * The line-item modules: subform modules of the inventory modules. A row names its parent record in
 * `Parent_Id` and its product in `Product_Name`; the totals are Zoho's to compute.
 */
export const LINE_ITEM_MODULES: ModuleDef[] = Object.entries(LINE_ITEMS).map(([parent, { module, id }]) =>
  childModuleDef(
    {
      apiName: module,
      id,
      scopeName: parent.toLowerCase().replace(/_/g, ''),
      displayField: 'id',
      custom: false,
      subformOf: parent,
    },
    [lookup('Parent_Id', parent, { mandatory: true, idOnly: true })],
    [
      lookup('Product_Name', 'Products', { mandatory: true }),
      typed('Quantity', 'decimal', { mandatory: true }),
      typed('List_Price', 'currency'),
      typed('Discount', 'currency'),
      typed('Tax', 'currency'),
      typed('Description', 'textarea', { length: 2000 }),
      readOnly('Total', 'currency'),
      readOnly('Net_Total', 'currency'),
    ],
  ),
);
