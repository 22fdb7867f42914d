import type { ModuleDef } from '../module-def.js';
import { description, lookup, moduleDef, picklist, readOnly, text, typed } from './define.js';

/** The modules a task or a campaign can point at through Tasks' `What_Id` (chosen per row by `$se_module`). */
export const WHAT_ID_MODULES = [
  'Leads',
  'Accounts',
  'Deals',
  'Campaigns',
  'Cases',
  'Solutions',
  'Products',
  'Vendors',
  'Price_Books',
  'Quotes',
  'Sales_Orders',
  'Purchase_Orders',
  'Invoices',
];

/** Campaigns and Tasks. Events and Calls are not bulk-writable in Zoho, so they are not here. */
export const ACTIVITY_MODULES: ModuleDef[] = [
  moduleDef('Campaigns', '4150868000000002185', 'Campaign_Name', [
    text('Campaign_Name', 120, { mandatory: true }),
    picklist('Type', [
      '-None-',
      'Telemarketing',
      'Advertisement',
      'Banner Ads',
      'Seminar/Conference',
      'Public Relations',
      'Partners',
      'Referral Program',
      'Trade Show',
      'Email',
      'Webinar',
      'Others',
    ]),
    picklist('Status', ['-None-', 'Planning', 'Active', 'Inactive', 'Complete']),
    typed('Start_Date', 'date'),
    typed('End_Date', 'date'),
    typed('Expected_Revenue', 'currency'),
    typed('Budgeted_Cost', 'currency'),
    typed('Actual_Cost', 'currency'),
    typed('Expected_Response', 'integer'),
    typed('Num_sent', 'bigint'),
    lookup('Parent_Campaign', 'Campaigns'),
    description(),
  ]),
  moduleDef('Tasks', '4150868000000002191', 'Subject', [
    text('Subject', 255, { mandatory: true }),
    typed('Due_Date', 'date'),
    picklist('Status', ['Not Started', 'Deferred', 'In Progress', 'Completed', 'Waiting for input']),
    picklist('Priority', ['High', 'Highest', 'Low', 'Lowest', 'Normal']),
    // Related To: a record of the module the row's `$se_module` names.
    typed('What_Id', 'lookup', { lookupModules: WHAT_ID_MODULES }),
    picklist('$se_module', WHAT_ID_MODULES, { strictPicklist: true }),
    lookup('Who_Id', 'Contacts'),
    typed('Send_Notification_Email', 'boolean'),
    readOnly('Closed_Time', 'datetime'),
    // Reminders and recurrence are structured values the bulk write CSV cannot carry.
    readOnly('Remind_At', 'text'),
    readOnly('Recurring_Activity', 'text'),
    description(),
  ]),
];
