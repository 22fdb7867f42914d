import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteRecordCounter, TextRecordCounter, type RecordCounter } from '../../src/csv/count-records.js';
import { createDecoder } from '../../src/csv/decode.js';

function count(counter: RecordCounter, bytes: Buffer, size: number): { records: number; firstLine: string | null } {
  for (let i = 0; i < bytes.length; i += size) counter.push(bytes.subarray(i, i + size));
  counter.end();
  return { records: counter.records, firstLine: counter.firstLine };
}

/** A small random CSV: quoted fields with line breaks and doubled quotes, CR/LF/CRLF ends, empty lines. */
function randomCsv(seed: number): string {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pieces = ['a', 'ü', '日本', ' ', ',', '"q""x"', '"multi\nline"', '"cr\r\nlf"', '\n', '\r\n', '\r', '\n\n'];
  let out = next() < 0.3 ? '\uFEFF' : '';
  out += 'Last_Name,"Em""ail"\r\n';
  const n = Math.floor(next() * 60);
  for (let i = 0; i < n; i++) out += pieces[Math.floor(next() * pieces.length)];
  return out;
}

describe('ByteRecordCounter', () => {
  it('counts the same records and header as the text counter, whatever the chunk boundaries', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const bytes = Buffer.from(randomCsv(seed), 'utf8');
      const expected = count(new TextRecordCounter(createDecoder('UTF-8')), bytes, 1 << 16);
      for (const size of [1, 2, 3, 7, 64, 1 << 16]) {
        assert.deepEqual(count(new ByteRecordCounter(), bytes, size), expected, `seed ${seed}, chunk size ${size}`);
      }
    }
  });

  it('does not count a file holding only a BOM and blank lines', () => {
    const c = count(new ByteRecordCounter(), Buffer.from('\uFEFF\r\n\n', 'utf8'), 64);
    assert.deepEqual(c, { records: 0, firstLine: null });
  });

  it('keeps a header that spans chunks, without its BOM', () => {
    const c = count(new ByteRecordCounter(), Buffer.from('\uFEFFName,Ünïcode\r\nx,y\r\n', 'utf8'), 5);
    assert.deepEqual(c, { records: 2, firstLine: 'Name,Ünïcode' });
  });
});
