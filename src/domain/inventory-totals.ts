/**
 * The totals Zoho computes for an inventory record (Quotes, Sales_Orders, Purchase_Orders, Invoices) from
 * its line items; a client cannot write them (they are read-only fields), and bulkwrite computes them
 * when a record is read, so they always agree with the line items stored.
 *
 * Per line item (Zoho's line-item response: `total`, `total_after_discount`, `net_total`; its sample
 * line 1024 × 1.21 has total and net total 1239.04):
 *   Total     = Quantity × List_Price
 *   Net_Total = Total − Discount + Tax
 * Per record (Zoho's Quotes response: Grand_Total is "the total amount … after deducting tax and
 * discounts", Adjustment "the adjustment in the grand total"):
 *   Sub_Total   = Σ Net_Total of its line items
 *   Grand_Total = Sub_Total − Discount + Tax + Adjustment
 * The record's Tax is the tax applied to the whole record (Zoho's `$line_tax`), read-only and so never
 * written by a bulk job: it stays as stored, 0 when there is none.
 * Amounts are currency: exact to the cent (computed in whole cents, then rounded half up, as Zoho rounds
 * currency).
 */
import type { RecordData } from './types.js';

/** The modules whose records carry these totals. */
export const INVENTORY_TOTALS_MODULES: ReadonlySet<string> = new Set([
  'Quotes',
  'Sales_Orders',
  'Purchase_Orders',
  'Invoices',
]);

/** A stored amount in hundredths (cents; quantities and prices have at most two places). */
function hundredths(v: unknown): bigint {
  if (typeof v !== 'number' || !Number.isFinite(v)) return 0n;
  return BigInt(Math.round(v * 100));
}

/** Hundredths → a number of two places. */
function amount(cents: bigint): number {
  return Number(cents) / 100;
}

/** Quantity × List_Price in cents, rounded half away from zero. */
function lineTotalCents(line: RecordData): bigint {
  const product = hundredths(line.Quantity) * hundredths(line.List_Price); // in ten-thousandths
  const sign = product < 0n ? -1n : 1n;
  const abs = product * sign;
  return sign * ((abs + 50n) / 100n);
}

/** A line item's computed `Total` and `Net_Total`. */
export function lineItemTotals(line: RecordData): { Total: number; Net_Total: number } {
  const total = lineTotalCents(line);
  return { Total: amount(total), Net_Total: amount(total - hundredths(line.Discount) + hundredths(line.Tax)) };
}

/** A record's computed `Sub_Total`, `Tax` and `Grand_Total` from its line items. */
export function inventoryTotals(
  record: RecordData,
  lines: readonly RecordData[],
): { Sub_Total: number; Tax: number; Grand_Total: number } {
  let sub = 0n;
  for (const line of lines) sub += lineTotalCents(line) - hundredths(line.Discount) + hundredths(line.Tax);
  const tax = hundredths(record.Tax);
  const grand = sub - hundredths(record.Discount) + tax + hundredths(record.Adjustment);
  return { Sub_Total: amount(sub), Tax: amount(tax), Grand_Total: amount(grand) };
}
