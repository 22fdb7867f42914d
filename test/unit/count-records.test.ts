import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Papa from 'papaparse';
import { CsvCounter, peekCsvHeader } from '../../src/client/csv-source.js';
import { ByteRecordCounter, TextRecordCounter, type RecordCounter } from '../../src/csv/count-records.js';
import { createDecoder } from '../../src/csv/decode.js';
import { parseFirstRecord } from '../../src/csv-format/parse-first-record.js';
import { CsvRowParser } from '../../src/csv/parse-rows.js';
import type { LineEnd } from '../../src/csv-format/record-ends.js';

function chunksOf(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

function count(counter: RecordCounter, bytes: Buffer, size: number): { records: number; firstLine: string | null } {
  for (const chunk of chunksOf(bytes, size)) counter.push(chunk);
  counter.end();
  return { records: counter.records, firstLine: counter.firstLine };
}

/** Rows as the job reads them: text in chunks of `size` characters through CsvRowParser. */
function parseInChunks(text: string, size: number): string[][] {
  const parser = new CsvRowParser(',');
  const rows: string[][] = [];
  for (let i = 0; i < text.length; i += size) rows.push(...parser.push(text.slice(i, i + size)));
  rows.push(...parser.end());
  return rows;
}

function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

const LINE_ENDS: LineEnd[] = ['\n', '\r\n', '\r'];

interface Line {
  /** An empty line, `""` (spaces may follow), a line of spaces, or fields. */
  kind: 'empty' | 'empty-field' | 'spaces' | 'fields';
  fields: Array<{ quoted: boolean; text: string }>;
  spaces: string;
  end: string;
}

/**
 * A small random CSV as well-formed CSV writes it (quotes around whole fields), with quoted fields that
 * hold line breaks of every kind, doubled quotes and commas, blank lines, `""` lines and lines of spaces.
 * Its line end is the first line's. With `mixed`, later lines end in any of CRLF, LF and CR; a line break
 * that is not the file's line end is then data, and the fields it joins are unquoted, as well-formed CSV
 * has them.
 */
function randomCsv(seed: number, mixed: boolean): { text: string; lineEnd: LineEnd } {
  const next = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const lineEnd = pick(LINE_ENDS);
  const quotedPieces = ['x', 'ü', '日本', '""', ',', ' ', '\n', '\r\n', '\r'];
  const plainPieces = ['a', 'ü', '日本', ' '];
  const lines: Line[] = [];
  const n = 1 + Math.floor(next() * 25);
  for (let i = 0; i < n; i++) {
    const r = next();
    const kind = r < 0.1 ? 'empty' : r < 0.2 ? 'empty-field' : r < 0.25 ? 'spaces' : 'fields';
    const fields = Array.from({ length: 1 + Math.floor(next() * 3) }, () => {
      const quoted = next() < 0.4;
      let text = '';
      for (let k = Math.floor(next() * 4); k > 0; k--) text += pick(quoted ? quotedPieces : plainPieces);
      return { quoted, text };
    });
    const spaces = ' '.repeat(Math.floor(next() * 3));
    lines.push({ kind, fields, spaces, end: i === 0 || !mixed ? lineEnd : pick(LINE_ENDS) });
  }
  if (next() < 0.5) lines[n - 1]!.end = '';
  const unquote = (f: { quoted: boolean; text: string }) => {
    if (f.quoted) Object.assign(f, { quoted: false, text: 'a' });
  };
  // A line break that is not the file's line end joins what is around it into one field.
  for (let i = 0; i < n; i++) {
    const line = lines[i]!;
    const joinsNext = line.end !== '' && line.end !== lineEnd && !(lineEnd === '\n' && line.end === '\r\n');
    if (joinsNext && !(lineEnd === '\r' && line.end === '\r\n')) {
      if (line.kind === 'empty-field') line.kind = 'spaces';
      unquote(line.fields[line.fields.length - 1]!);
    }
    if (joinsNext && i + 1 < n) unquote(lines[i + 1]!.fields[0]!);
  }
  const bodyOf = (line: Line): string => {
    if (line.kind === 'empty-field') return `""${line.spaces}`;
    if (line.kind === 'spaces') return ` ${line.spaces}`;
    if (line.kind === 'empty') return '';
    return line.fields.map((f) => (f.quoted ? `"${f.text}"` : f.text)).join(',');
  };
  let text = '';
  lines.forEach((line, i) => {
    const body = bodyOf(line);
    // The first line's CR and an empty second line's LF would read as one CRLF.
    text += body + (i === 1 && lineEnd === '\r' && body === '' && line.end === '\n' ? '\r' : line.end);
  });
  return { text, lineEnd };
}

const utf8 = () => new TextRecordCounter(createDecoder('UTF-8'));

describe('the reading of CSV record ends', () => {
  it('counts, cuts and parses every record as papaparse reads the whole file: at upload, in the job and in the client, whatever the chunks', async () => {
    for (let seed = 1; seed <= 300; seed++) {
      for (const mixed of [false, true]) {
        const { text, lineEnd } = randomCsv(seed, mixed);
        const at = `seed ${seed}${mixed ? ', mixed line ends' : ''}: ${JSON.stringify(text)}`;
        const rows = Papa.parse<string[]>(text, { delimiter: ',', newline: lineEnd, skipEmptyLines: true }).data;
        if (!mixed) {
          // Papaparse's own guess of the line end is the first line's.
          const guessed = Papa.parse<string[]>(text, { delimiter: ',', skipEmptyLines: true });
          assert.deepEqual(guessed.data, rows, at);
        }
        const header = rows[0] ?? [];
        const hasLineEnd = /[\r\n]/.test(text.replace(/"[^]*?"/g, ''));
        const bytes = Buffer.from((seed % 3 === 0 ? '\uFEFF' : '') + text, 'utf8');
        for (const size of [1, 2, 3, 7, 64, 1 << 16]) {
          for (const counter of [new ByteRecordCounter(), utf8()]) {
            const by = `${at}: ${counter.constructor.name} in chunks of ${size}`;
            assert.equal(count(counter, bytes, size).records, rows.length, by);
            const cells = parseFirstRecord(counter.firstLine ?? '', counter.lineEnd, counter.firstLineClosed, ',');
            assert.deepEqual(counter.firstLine === null ? [] : cells, header, by);
            if (hasLineEnd) assert.equal(counter.lineEnd, lineEnd, by);
          }
          assert.deepEqual(parseInChunks(text, size), rows, `${at}: rows, chunks of ${size}`);
        }
        const client = new CsvCounter();
        await pipeline(Readable.from(chunksOf(bytes, 5)), client, new PassThrough().resume());
        assert.equal(client.dataRows, Math.max(0, rows.length - 1), `${at}: the client's count`);
        // The client refuses a header of nothing but spaces before it reads one.
        if (header.some((c) => c.trim() !== '')) {
          const { header: peeked } = await peekCsvHeader(Readable.from(chunksOf(bytes, 5)));
          assert.deepEqual(
            peeked.columns,
            header.map((c) => c.trim()),
            `${at}: the client's header`,
          );
        }
      }
    }
  });

  it('reads a CR-only file as lines, whose LFs are data', () => {
    const text = 'Last_Name,Note\rA,"x\r\ny"\r\nB,z\r';
    assert.deepEqual(parseInChunks(text, 4), [
      ['Last_Name', 'Note'],
      ['A', 'x\r\ny'],
      ['\nB', 'z'],
    ]);
    assert.deepEqual(count(new ByteRecordCounter(), Buffer.from(text), 4), { records: 3, firstLine: 'Last_Name,Note' });
  });

  it('cuts a CR-only file at its line ends, so the rows come a slice at a time', () => {
    const parser = new CsvRowParser(',');
    assert.deepEqual(parser.push('h\r1\r2'), [['h'], ['1']]);
    assert.deepEqual(parser.push('\r3\r'), [['2'], ['3']]);
    assert.deepEqual(parser.end(), []);
  });

  it('passes over empty lines and lines of one empty quoted field, and counts lines of spaces', () => {
    const text = 'h\r\n\r\n""\r\n""  \r\n  \r\nx\r\n""';
    assert.deepEqual(count(new ByteRecordCounter(), Buffer.from(text), 3), { records: 3, firstLine: 'h' });
    assert.deepEqual(parseInChunks(text, 3), [['h'], ['  '], ['x']]);
  });

  it('does not count a file holding only a BOM and blank lines', () => {
    const c = count(new ByteRecordCounter(), Buffer.from('\uFEFF\r\n\r\n', 'utf8'), 64);
    assert.deepEqual(c, { records: 0, firstLine: null });
  });

  it('keeps a header that spans chunks, without its BOM', () => {
    const c = count(new ByteRecordCounter(), Buffer.from('\uFEFFName,Ünïcode\r\nx,y\r\n', 'utf8'), 5);
    assert.deepEqual(c, { records: 2, firstLine: 'Name,Ünïcode' });
  });
});
