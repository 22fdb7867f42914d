/** Medians and the number formats the result lines use. */

export type Figures = Record<string, number>;

export function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The median of every figure over the runs that produced it. */
export function medianFigures(runs: Figures[]): Figures {
  const keys = new Set(runs.flatMap((r) => Object.keys(r)));
  const out: Figures = {};
  for (const k of keys) out[k] = median(runs.map((r) => r[k]).filter((v): v is number => v !== undefined));
  return out;
}

export const int = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '–' : Math.round(n).toString());
export const thousands = (n: number | undefined) =>
  n === undefined || !Number.isFinite(n) ? '–' : Math.round(n).toLocaleString('en-US');
export const fixed = (n: number | undefined, digits = 2) =>
  n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits);
export const mb = (bytes: number | undefined) =>
  bytes === undefined || !Number.isFinite(bytes) ? '–' : `${Math.round(bytes / 2 ** 20)} MB`;
export const secs = (ms: number | undefined) =>
  ms === undefined || !Number.isFinite(ms) ? '–' : `${(ms / 1000).toFixed(1)} s`;
