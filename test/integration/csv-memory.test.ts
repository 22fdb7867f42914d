import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import yazl from 'yazl';

const READER = fileURLToPath(new URL('../helpers/read-upload-peak-rss.js', import.meta.url));
const ROWS = 1_000_000;
/** What reading may add to the reader's peak RSS: a few chunks and slices of rows, not the file. */
const GROWTH_LIMIT_KIB = 128 * 1024;

/** Zips a generated CSV of `rows` data rows, streamed, so the test itself never holds the file. */
async function zipCsv(path: string, rows: number, lineEnd: string): Promise<void> {
  function* lines() {
    yield `Last_Name,Company${lineEnd}`;
    for (let i = 0; i < rows; i += 1000) {
      let s = '';
      for (let j = i; j < Math.min(rows, i + 1000); j++) s += `Row${j},"Co ${j}, Inc"${lineEnd}`;
      yield s;
    }
  }
  const zip = new yazl.ZipFile();
  zip.addReadStream(Readable.from(lines()), 'big.csv');
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(path));
}

describe('memory while reading a large upload', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulkwrite-csv-memory-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stays bounded for a million-row CSV whose lines end in a lone CR, in the summary and in the rows', async (t) => {
    const zipPath = join(dir, 'cr-only.zip');
    await zipCsv(zipPath, ROWS, '\r');
    const { stdout } = await promisify(execFile)(process.execPath, [READER, zipPath]);
    const read = JSON.parse(stdout) as {
      rowCount: number;
      header: string[];
      rows: number;
      beforeKiB: number;
      peakKiB: number;
    };
    assert.deepEqual(read.header, ['Last_Name', 'Company']);
    assert.equal(read.rowCount, ROWS);
    assert.equal(read.rows, ROWS + 1);
    const growth = read.peakKiB - read.beforeKiB;
    t.diagnostic(
      `peak RSS ${Math.round(read.peakKiB / 1024)} MiB, ${Math.round(growth / 1024)} MiB more than before reading`,
    );
    assert.ok(growth < GROWTH_LIMIT_KIB, `peak RSS grew by ${Math.round(growth / 1024)} MiB while reading`);
  });
});
