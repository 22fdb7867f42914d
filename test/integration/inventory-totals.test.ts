import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inventoryTotals, lineItemTotals } from '../../src/domain/inventory-totals.js';
import { auth, call, downloadResult, runJob } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

type Json = Record<string, unknown>;

const ZOHO_LINE_SAMPLE =
  "Zoho's Quotes response, Product_Details line: quantity 1024, list_price 1.21, Discount 0, Tax 0 → total 1239.04, net_total 1239.04";
const ZOHO_QUOTE_SAMPLE =
  "Zoho's Quotes response (zoho.com/crm/developer/docs/api/v2/quotes-response.html): Discount 500, Tax 285, Adjustment 0, Grand_Total 9785, Grand_Total being the amount after tax and discounts";
const FORMULA = 'issue 16.11: quantity × list price − discount, tax, adjustment; currency to the cent, half up';

/** Worked examples: a record's Discount, Adjustment (and Tax), its line items, the totals expected. */
const CASES: Array<{
  name: string;
  quote: { Discount?: number; Adjustment?: number; Tax?: number };
  lines: Array<{ Quantity: number; List_Price: number; Discount?: number; Tax?: number }>;
  lineTotals: Array<[number, number]>;
  totals: { Sub_Total: number; Tax: number; Grand_Total: number };
  source: string;
}> = [
  {
    name: 'Zoho’s sample line item',
    quote: {},
    lines: [{ Quantity: 1024, List_Price: 1.21 }],
    lineTotals: [[1239.04, 1239.04]],
    totals: { Sub_Total: 1239.04, Tax: 0, Grand_Total: 1239.04 },
    source: ZOHO_LINE_SAMPLE,
  },
  {
    name: 'line discounts and taxes, then the record’s discount and adjustment',
    quote: { Discount: 7.47, Adjustment: 1.5 },
    lines: [
      { Quantity: 3, List_Price: 19.99, Discount: 5, Tax: 2.5 },
      { Quantity: 2, List_Price: 10 },
    ],
    lineTotals: [
      [59.97, 57.47],
      [20, 20],
    ],
    totals: { Sub_Total: 77.47, Tax: 0, Grand_Total: 71.5 },
    source: FORMULA,
  },
  {
    name: 'a fractional quantity rounds the line to the cent (half up); a negative adjustment lowers the total',
    quote: { Adjustment: -0.5 },
    lines: [{ Quantity: 1.5, List_Price: 0.33 }],
    lineTotals: [[0.5, 0.5]],
    totals: { Sub_Total: 0.5, Tax: 0, Grand_Total: 0 },
    source: FORMULA,
  },
];

describe('inventory totals (issue 16.11): computed as Zoho does, from the line items', () => {
  it(`reproduces Zoho’s own Quotes sample: 10000 − 500 + 285 + 0 = 9785 (source: ${ZOHO_QUOTE_SAMPLE})`, () => {
    const lines = [{ Quantity: 4, List_Price: 2500 }];
    assert.deepEqual(inventoryTotals({ Discount: 500, Tax: 285, Adjustment: 0 }, lines), {
      Sub_Total: 10000,
      Tax: 285,
      Grand_Total: 9785,
    });
    assert.deepEqual(lineItemTotals(lines[0]!), { Total: 10000, Net_Total: 10000 });
  });

  for (const c of CASES) {
    it(`${c.name} (source: ${c.source})`, () => {
      assert.deepEqual(
        c.lines.map((l) => Object.values(lineItemTotals(l))),
        c.lineTotals,
      );
      assert.deepEqual(inventoryTotals(c.quote, c.lines), c.totals);
    });
  }
});

describe('inventory totals read back through the records API after a bulk import', () => {
  let t: TestServer;
  let accountId: string;
  let vendorId: string;
  let productId: string;
  const get = (path: string) => call<Json>(`${t.url}${path}`, { headers: auth(t.creds.access_token) });
  const ids = async (module: string, csv: string) =>
    (await downloadResult(t, (await runJob(t, csv, { module: { api_name: module } })).details)).rows.map(
      (r) => r.RECORD_ID!,
    );

  before(async () => {
    t = await startTestServer();
    accountId = (await ids('Accounts', 'Account_Name\nTotals Inc\n'))[0]!;
    vendorId = (await ids('Vendors', 'Vendor_Name\nTotals Supply\n'))[0]!;
    productId = (await ids('Products', 'Product_Name\nTotals Widget\n'))[0]!;
  });
  after(() => t.close());

  const PARENTS = [
    ['Quotes', 'Quoted_Items', 'Account_Name'],
    ['Sales_Orders', 'Ordered_Items', 'Account_Name'],
    ['Invoices', 'Invoiced_Items', 'Account_Name'],
    ['Purchase_Orders', 'Purchase_Items', 'Vendor_Name'],
  ] as const;

  for (const [parent, items, party] of PARENTS) {
    it(`${parent}: Sub_Total, Tax, Grand_Total on the record, Total and Net_Total on each line (${CASES[1]!.source})`, async () => {
      const c = CASES[1]!;
      const partyId = party === 'Vendor_Name' ? vendorId : accountId;
      const recordId = (
        await ids(
          parent,
          `Subject,${party}.id,Discount,Adjustment\nTotals ${parent},${partyId},${c.quote.Discount},${c.quote.Adjustment}\n`,
        )
      )[0]!;
      const lineIds = await ids(
        items,
        [
          'Parent_Id,Product_Name.id,Quantity,List_Price,Discount,Tax',
          ...c.lines.map(
            (l) => `${recordId},${productId},${l.Quantity},${l.List_Price},${l.Discount ?? ''},${l.Tax ?? ''}`,
          ),
        ].join('\n'),
      );
      assert.equal(lineIds.length, 2);

      const one = await get(`/crm/v8/${parent}/${recordId}`);
      assert.equal(one.status, 200, one.text);
      const record = (one.body.data as Json[])[0]!;
      assert.deepEqual([record.Sub_Total, record.Tax, record.Grand_Total], Object.values(c.totals));
      const details = record.Product_Details as Json[];
      assert.deepEqual(
        details.map((l) => [l.Total, l.Net_Total]),
        c.lineTotals,
      );

      // Only the totals asked for: the line items are still read to compute them.
      const listed = await get(`/crm/v8/${parent}?fields=Subject,Grand_Total&per_page=200`);
      const row = (listed.body.data as Json[]).find((r) => r.id === recordId)!;
      assert.deepEqual(row, { Subject: `Totals ${parent}`, Grand_Total: c.totals.Grand_Total, id: recordId });
    });
  }
});
