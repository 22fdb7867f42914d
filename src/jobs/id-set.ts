/**
 * A set of record ids (decimal strings of 1–19 digits, so below 2^64) kept in typed arrays: each id is
 * two numbers in an open-addressing table. A job's first-row-wins memory holds one id per applied row;
 * as a `Set<string>` a million of them cost ~90 MB of heap that every major GC marks again, here they
 * cost 24 MiB that the collector never walks. Leading zeros count ("007" and "7" are one id), as they
 * do for the record they name. Anything that is not such an id is kept in a plain Set.
 */
export class IdSet {
  /** The digits before the last 9, or -1 for an empty slot. */
  private high: Float64Array;
  /** The last 9 digits. */
  private low: Uint32Array;
  private count = 0;
  private readonly others = new Set<string>();

  constructor(capacity = 1 << 12) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.high = new Float64Array(size).fill(-1);
    this.low = new Uint32Array(size);
  }

  get size(): number {
    return this.count + this.others.size;
  }

  add(id: string): this {
    if (!split(id)) this.others.add(id);
    else if (this.find(parsedHigh, parsedLow) < 0) {
      if ((this.count + 1) * 2 > this.high.length) this.grow();
      this.insert(parsedHigh, parsedLow);
    }
    return this;
  }

  has(id: string): boolean {
    if (!split(id)) return this.others.has(id);
    return this.find(parsedHigh, parsedLow) >= 0;
  }

  /** The slot holding the id, or -1. */
  private find(high: number, low: number): number {
    const mask = this.high.length - 1;
    for (let i = hash(high, low) & mask; ; i = (i + 1) & mask) {
      const h = this.high[i]!;
      if (h === -1) return -1;
      if (h === high && this.low[i] === low) return i;
    }
  }

  private insert(high: number, low: number): void {
    const mask = this.high.length - 1;
    let i = hash(high, low) & mask;
    while (this.high[i] !== -1) i = (i + 1) & mask;
    this.high[i] = high;
    this.low[i] = low;
    this.count++;
  }

  private grow(): void {
    const { high, low } = this;
    this.high = new Float64Array(high.length * 2).fill(-1);
    this.low = new Uint32Array(high.length * 2);
    this.count = 0;
    for (let i = 0; i < high.length; i++) if (high[i] !== -1) this.insert(high[i]!, low[i]!);
  }
}

// The two halves of the id `split` last read (module state, so that splitting allocates nothing).
let parsedHigh = 0;
let parsedLow = 0;

/** Reads a 1–19 digit id into parsedHigh/parsedLow; false for anything else. */
function split(id: string): boolean {
  const n = id.length;
  if (n === 0 || n > 19) return false;
  let high = 0;
  let low = 0;
  const cut = n - 9;
  for (let i = 0; i < n; i++) {
    const d = id.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (i < cut) high = high * 10 + d;
    else low = low * 10 + d;
  }
  parsedHigh = high;
  parsedLow = low;
  return true;
}

function hash(high: number, low: number): number {
  const h = Math.imul(low ^ Math.imul(high >>> 0, 0x85ebca6b) ^ ((high / 0x100000000) >>> 0), 0x9e3779b1);
  return (h ^ (h >>> 15)) >>> 0;
}
