import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CsvFileError, readZipCsvRows, summarizeZipCsv } from '../../src/csv/read-csv.js';
import { makeZip } from '../helpers/zip.js';

const dir = mkdtempSync(join(tmpdir(), 'zip-entry-size-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A CSV of `rows` data rows, big enough to inflate into several chunks. */
function csv(rows: number): string {
  const lines = ['Last_Name,Email,Company'];
  for (let i = 0; i < rows; i++) lines.push(`Name ${i},user${i}@example.com,"Company, ${i % 97}"`);
  return `${lines.join('\r\n')}\r\n`;
}

/** The zip with its central directory's uncompressed size of the first entry changed by `delta`. */
async function zipWithSize(text: string, delta: number): Promise<string> {
  const zip = await makeZip({ 'Leads.csv': text });
  const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  assert.ok(central > 0);
  zip.writeUInt32LE(zip.readUInt32LE(central + 24) + delta, central + 24);
  const path = join(dir, `size${delta}.zip`);
  writeFileSync(path, zip);
  return path;
}

async function readAll(path: string): Promise<string[][]> {
  const out: string[][] = [];
  for await (const rows of readZipCsvRows(path, 'UTF-8', ',')) out.push(...rows);
  return out;
}

describe('a zip entry is held to the size its zip declares', () => {
  const text = csv(30_000);

  it('reads a deflated entry of several inflate buffers whole, row for row', async () => {
    const rows = await readAll(await zipWithSize(text, 0));
    assert.equal(rows.length, 30_001);
    assert.deepEqual(rows[1], ['Name 0', 'user0@example.com', 'Company, 0']);
    assert.deepEqual(rows[30_000], ['Name 29999', 'user29999@example.com', `Company, ${29_999 % 97}`]);
    assert.equal((await summarizeZipCsv(await zipWithSize(text, 0))).rowCount, 30_000);
  });

  for (const [what, delta] of [
    ['more bytes than declared', -1000],
    ['fewer bytes than declared', 1000],
  ] as const) {
    it(`refuses an entry that inflates to ${what}, when summarised and when read`, async () => {
      const path = await zipWithSize(text, delta);
      await assert.rejects(
        summarizeZipCsv(path),
        (e: unknown) => e instanceof CsvFileError && e.reason === 'unreadable' && /bytes in the stream/.test(e.message),
      );
      await assert.rejects(
        readAll(path),
        (e: unknown) => e instanceof CsvFileError && e.reason === 'unreadable' && /bytes in the stream/.test(e.message),
      );
    });
  }
});
