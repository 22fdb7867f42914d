import Database from 'better-sqlite3';
import Papa from 'papaparse';
import yauzl from 'yauzl';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { createRecordTable, recordWriteSql } from '../src/storage/sqlite/sqlite-record-tables.js';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';

/**
 * The floors: the least work that turns the uploaded zip into stored rows. Both unzip (yauzl) → decode →
 * parse (papaparse) → insert; no validation, no lookups, no result rows, no result zip, no HTTP.
 *
 * - `plain`: the machine's floor. One table of the CSV's columns as TEXT plus created_time, one UNIQUE
 *   index on Email, 10,000-row transactions, WAL, synchronous=NORMAL, 64 MB cache: what any importer
 *   into SQLite has to pay for these rows. Every ingest figure is given as a ratio to it.
 * - `schema`: the server's own layout (the module's records table with its JSON text and the e-mail key
 *   column, made as the store makes it, after its migrations) and pragmas, in transactions of the
 *   server's batch size: what today's layout costs.
 *
 * Run as its own process by the driver:
 *   node dist/bench/floor.js --zip leads.zip [--mode plain|schema] [--batch N] [--json]
 */

export type FloorMode = 'plain' | 'schema';

/** The plain floor's transaction size (issue 17's definition of it). */
export const PLAIN_BATCH = 10_000;

export interface FloorResult {
  rows: number;
  ms: number;
  rowsPerSecond: number;
  unzipParseMs: number;
  insertMs: number;
  peakRssBytes: number;
  /** CPU seconds this process used (every thread). */
  cpuSeconds: number;
}

function openZipStream(path: string): Promise<{ stream: Readable; close: () => void }> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('not a zip'));
      zip.on('error', reject);
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!/\.csv$/i.test(entry.fileName)) return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error('no stream'));
          resolve({ stream, close: () => zip.close() });
        });
      });
      zip.on('end', () => reject(new Error('no CSV in the zip')));
      zip.readEntry();
    });
  });
}

type Commit = (batch: string[][]) => void;

/**
 * The server's tables, migrations and pragmas, with plain statements on them: the module's records table
 * made as the store makes it (a table per org and module, the e-mail key a column with a UNIQUE index),
 * and the store's own insert statement for it.
 */
async function schemaWriter(file: string, header: string[]): Promise<{ db: Database.Database; commit: Commit }> {
  await openSqliteStorage(file).close();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -65536');
  const orgId = '1';
  const hasEmail = header.includes('Email');
  const table = db.transaction(() => createRecordTable(db, orgId, 'Leads', hasEmail ? ['Email'] : []))();
  const insertRecord = db.prepare(recordWriteSql.insert(table.name, table.keys.length));
  let nextId = 4150868000000100000n;
  const emailAt = header.indexOf('Email');
  const now = Date.now();
  const commit = db.transaction((batch: string[][]) => {
    for (const cells of batch) {
      const id = nextId++;
      const data: Record<string, string> = {};
      for (let c = 0; c < header.length; c++) data[header[c]!] = cells[c] ?? '';
      if (!hasEmail) {
        insertRecord.run(id, JSON.stringify(data), now, now);
        continue;
      }
      const email = cells[emailAt];
      insertRecord.run(id, JSON.stringify(data), now, now, email ? email.trim().toLowerCase() : null);
    }
  });
  return { db, commit };
}

/** One table of the CSV's columns as TEXT + created_time, one UNIQUE index on Email; nothing else. */
function plainWriter(file: string, header: string[]): { db: Database.Database; commit: Commit } {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -65536');
  const quoted = header.map((h) => `"${h.replaceAll('"', '""')}"`);
  db.exec(`CREATE TABLE leads (${[...quoted.map((q) => `${q} TEXT`), 'created_time INTEGER NOT NULL'].join(', ')})`);
  if (header.includes('Email')) db.exec('CREATE UNIQUE INDEX leads_email ON leads ("Email")');
  const insert = db.prepare(
    `INSERT INTO leads (${[...quoted, 'created_time'].join(', ')}) VALUES (${'?, '.repeat(header.length)}?)`,
  );
  const width = header.length;
  const params: unknown[] = new Array<unknown>(width + 1);
  const commit = db.transaction((batch: string[][]) => {
    const now = Date.now();
    for (const cells of batch) {
      for (let c = 0; c < width; c++) params[c] = cells[c] ?? '';
      params[width] = now;
      insert.run(params);
    }
  });
  return { db, commit };
}

export async function runFloor(zipPath: string, mode: FloorMode, batchSize: number): Promise<FloorResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bulkwrite-floor-'));
  try {
    const file = join(dir, 'floor.db');
    let header: string[] | null = null;
    let writer: { db: Database.Database; commit: Commit } | null = null;

    const started = performance.now();
    let insertMs = 0;
    let setupMs = 0;
    let rows = 0;
    const { stream, close } = await openZipStream(zipPath);
    const decoder = new StringDecoder('utf8');
    const toText = new Transform({
      transform(chunk: Buffer, _enc, done) {
        done(null, decoder.write(chunk));
      },
      flush(done) {
        done(null, decoder.end());
      },
    });
    const parser = Papa.parse(Papa.NODE_STREAM_INPUT, { delimiter: ',', skipEmptyLines: true }) as unknown as Transform;
    stream.pipe(toText).pipe(parser);
    let batch: string[][] = [];
    const flush = () => {
      const t = performance.now();
      writer!.commit(batch);
      insertMs += performance.now() - t;
      rows += batch.length;
      batch = [];
    };
    try {
      for await (const cells of parser as AsyncIterable<string[]>) {
        if (!header) {
          header = cells.map((h) => h.trim());
          // Making the tables (the server's migrations, for `schema`) is not timed.
          const t = performance.now();
          writer = mode === 'plain' ? plainWriter(file, header) : await schemaWriter(file, header);
          setupMs += performance.now() - t;
          continue;
        }
        batch.push(cells);
        if (batch.length >= batchSize) flush();
      }
      if (batch.length > 0) flush();
    } finally {
      close();
    }
    const ms = performance.now() - started - setupMs;
    writer?.db.close();
    return {
      rows,
      ms,
      rowsPerSecond: rows / (ms / 1000),
      unzipParseMs: ms - insertMs,
      insertMs,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      cpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      zip: { type: 'string' },
      mode: { type: 'string', default: 'plain' },
      batch: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (!values.zip || (values.mode !== 'plain' && values.mode !== 'schema')) {
    console.error('usage: node dist/bench/floor.js --zip leads.zip [--mode plain|schema] [--batch N] [--json]');
    process.exit(2);
  }
  const mode: FloorMode = values.mode;
  const batch = values.batch
    ? Number(values.batch)
    : mode === 'plain'
      ? PLAIN_BATCH
      : loadConfig(process.env).batchSize;
  const result = await runFloor(values.zip, mode, batch);
  if (values.json) console.log(JSON.stringify(result));
  else
    console.log(
      `floor-${mode}: ${result.rows} rows in ${(result.ms / 1000).toFixed(2)} s = ${Math.round(result.rowsPerSecond)} rows/s ` +
        `(insert ${(result.insertMs / 1000).toFixed(2)} s, unzip+parse ${(result.unzipParseMs / 1000).toFixed(2)} s)`,
    );
}
