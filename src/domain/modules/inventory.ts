import type { FieldDef, ModuleDef } from '../modules.js';
import { CARRIERS, description, lookup, moduleDef, picklist, readOnly, text, typed } from './define.js';

const ORDER_STATUS = ['-None-', 'Created', 'Approved', 'Delivered', 'Cancelled'];

/**
 * What Quotes, Sales_Orders, Purchase_Orders and Invoices share. The totals are computed by Zoho from
 * the line items; `Product_Details` (the line items) is a subform that a single-resource bulk write
 * job cannot fill, so mapping it is INVALID_FIELD.
 */
const inventoryCommon = (): FieldDef[] => [
  text('Subject', 255, { mandatory: true }),
  picklist('Carrier', CARRIERS),
  typed('Adjustment', 'currency'),
  typed('Discount', 'currency'),
  readOnly('Sub_Total', 'currency'),
  readOnly('Tax', 'currency'),
  readOnly('Grand_Total', 'currency'),
  typed('Product_Details', 'subform', { readOnly: true }),
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
    ...inventoryCommon(),
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
      ...inventoryCommon(),
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
      ...inventoryCommon(),
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
    ...inventoryCommon(),
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
