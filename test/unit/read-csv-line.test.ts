import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvField } from '../../src/csv-format/csv-field.js';
import type { FieldDef, ModuleDef } from '../../src/domain/modules.js';
import { STANDARD_CATALOGUE } from '../../src/domain/org-schema.js';
import { csvCell, csvLineRenderer, readValue } from '../../src/domain/read-records.js';
import { readColumns } from '../../src/domain/read-request.js';
import type { Org, RecordValue, StoredRecord } from '../../src/domain/types.js';

/**
 * The bulk read CSV line renderer against the plain definition (each cell `csvCell(readValue(…))`,
 * quoted by `csvField`, joined by commas), on every module of the catalogue, with values of every
 * kind a stored record can hold for each field, runs of records sharing a time (the renderer remembers
 * the last one), and time zones with and without DST.
 */

function reference(module: ModuleDef, columns: FieldDef[], org: Org, r: StoredRecord): string {
  return `${[csvField(r.id), ...columns.map((f) => csvField(csvCell(f, readValue(module, f, r, org))))].join(',')}\r\n`;
}

/** A small deterministic generator (Park–Miller), so a failure names a reproducible record. */
function rng(seed: number): () => number {
  let x = seed % 2147483647 || 1;
  return () => (x = (x * 48271) % 2147483647) / 2147483647;
}

const TEXTS = ['plain', 'with, comma', 'say "hi"', 'two\nlines', 'cr\r\nlf', 'ünïcødé ✓', '', ' spaced ', '"', ','];
const DATETIMES = [
  '2024-03-10T01:59:59-05:00',
  '2024-03-10T07:00:00Z',
  '2024-11-03T01:30:00.250+05:30',
  'not a time',
  '',
  '2024-03-10T07:00:00Z',
];

function valueFor(f: FieldDef, r: () => number): RecordValue | undefined {
  const roll = r();
  if (roll < 0.15) return undefined;
  if (roll < 0.25) return null;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
  switch (f.type) {
    case 'boolean':
      return r() < 0.5;
    case 'integer':
    case 'bigint':
      return Math.floor(r() * 1e6) - 1000;
    case 'decimal':
    case 'currency':
    case 'percent':
      return r() < 0.5 ? Math.round(r() * 1e6) / 100 : String(Math.round(r() * 1e4) / 10);
    case 'datetime':
      return pick(DATETIMES);
    case 'date':
      return pick(['2024-02-29', '1999-12-31', '']);
    case 'multiselectpicklist':
      return r() < 0.2 ? [] : [pick(TEXTS), pick(TEXTS)];
    default:
      return r() < 0.1 ? Math.floor(r() * 100) : pick(TEXTS);
  }
}

function records(module: ModuleDef, count: number, seed: number): StoredRecord[] {
  const r = rng(seed);
  const fields = [...module.fields.values()];
  const out: StoredRecord[] = [];
  let createdAt = Date.UTC(2024, 2, 10, 6, 59, 58, 100);
  for (let i = 0; i < count; i++) {
    // Runs of records in the same second, the same hour, across a DST change, and far apart.
    createdAt += r() < 0.6 ? 0 : r() < 0.5 ? Math.floor(r() * 1500) : Math.floor(r() * 90 * 86_400_000);
    const data: Record<string, RecordValue> = {};
    for (const f of fields) {
      const v = valueFor(f, r);
      if (v !== undefined) data[f.apiName] = v;
    }
    out.push({
      id: String(4_000_000_000_000 + i),
      module: module.apiName,
      data,
      createdAt,
      modifiedAt: createdAt + (r() < 0.5 ? 0 : 999),
    });
  }
  return out;
}

describe('csvLineRenderer', () => {
  for (const timeZone of ['America/New_York', 'Asia/Kolkata', 'UTC']) {
    const org: Org = {
      id: '1',
      name: 'o',
      timeZone,
      user: { id: '111', name: 'u', email: 'u@example.com' },
      createdAt: 0,
    };
    it(`renders every module's records exactly as the cells would (${timeZone})`, () => {
      for (const [m, module] of STANDARD_CATALOGUE.modules.entries()) {
        for (const columns of [readColumns(module, null), readColumns(module, null).reverse().slice(0, 5)]) {
          const render = csvLineRenderer(module, columns, org);
          for (const rec of records(module, 300, m * 7 + 1))
            assert.equal(render(rec), reference(module, columns, org, rec), `${module.apiName} record ${rec.id}`);
        }
      }
    });
  }
});
