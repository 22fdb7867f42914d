import Database from 'better-sqlite3';
import Papa from 'papaparse';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LEADS_COLUMNS, leadsRow } from './data.js';

/**
 * Issue 17.2's layout question, measured without the server: the SQLite work of an insert job and of an
 * upsert job (half the rows match) on each candidate layout, with the rows already parsed, so only
 * what differs is timed. Per 5,000-row batch, as a chunk commit does: the batch's unique keys are
 * looked up (500 per IN list), the matched records loaded, then one transaction writes. CPU of this
 * one thread (SQLite runs in it), so the figure barely moves when other processes share the machine.
 *
 *   node dist/bench/layout-prototype.js [--rows 200000] [--layouts current,key-column,...] [--repeat 2]
 *
 * Layouts:
 * - `current`: `records` (JSON text, org and module per row) + `records_module` + `record_keys`.
 * - `key-column`: one table per (org, module) whose rowid order is the listing order, the JSON text
 *   and one column per unique field holding its key (trimmed, lower-cased in JS), with a UNIQUE index.
 * - `expression`: the same table without key columns; a UNIQUE expression index on
 *   `lower(trim(json_extract(data, '$.Email')))` (SQLite's lower() folds A–Z only: not the same key as JS).
 * - `columns`: one table per (org, module) with a TEXT column per field and the key column.
 * - `plain`: the floor's table (the 12 columns as TEXT + created_time, UNIQUE on Email), insert only.
 */

const BATCH = 5000;
const IN_LIST = 500;
type Cells = string[];

interface Layout {
  setup(db: Database.Database): void;
  /** Looks up the batch's keys; returns key → record id. */
  lookup(db: Database.Database, keys: string[]): Map<string, number>;
  /** Loads the matched records' data (upsert). */
  load(db: Database.Database, ids: number[]): Map<number, Record<string, string>>;
  insert(db: Database.Database, id: number, data: Record<string, string>, key: string): void;
  update(db: Database.Database, id: number, data: Record<string, string>): void;
}

const keyOf = (email: string) => email.trim().toLowerCase();
const inList = (n: number) => `${'?,'.repeat(n - 1)}?`;

function perLength(db: Database.Database, sql: (n: number) => string) {
  const cache = new Map<number, Database.Statement>();
  return (n: number) => {
    let s = cache.get(n);
    if (!s) cache.set(n, (s = db.prepare(sql(n))));
    return s;
  };
}

function lookupWith(stmt: (n: number) => Database.Statement, lead: unknown[]) {
  return (_db: Database.Database, keys: string[]) => {
    const out = new Map<string, number>();
    for (let i = 0; i < keys.length; i += IN_LIST) {
      const part = keys.slice(i, i + IN_LIST);
      for (const r of stmt(part.length).all(...lead, ...part) as Array<{ k: string; id: number }>) out.set(r.k, r.id);
    }
    return out;
  };
}

function loadWith(stmt: (n: number) => Database.Statement) {
  return (_db: Database.Database, ids: number[]) => {
    const out = new Map<number, Record<string, string>>();
    for (let i = 0; i < ids.length; i += IN_LIST) {
      const part = ids.slice(i, i + IN_LIST);
      for (const r of stmt(part.length).all(...part) as Array<{ id: number; data: string }>)
        out.set(r.id, JSON.parse(r.data) as Record<string, string>);
    }
    return out;
  };
}

function layouts(db: Database.Database): Record<string, () => Layout> {
  const ORG = '1000000000000000001';
  const MODULE = 'Leads';
  return {
    current: () => {
      db.exec(`CREATE TABLE records (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL, module TEXT NOT NULL,
                 data TEXT NOT NULL, created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL);
               CREATE INDEX records_module ON records (org_id, module, id);
               CREATE TABLE record_keys (org_id TEXT NOT NULL, module TEXT NOT NULL, field TEXT NOT NULL,
                 value TEXT NOT NULL, record_id INTEGER NOT NULL, PRIMARY KEY (org_id, module, field, value)) WITHOUT ROWID;`);
      const ins = db.prepare(
        'INSERT INTO records (id, org_id, module, data, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?)',
      );
      const key = db.prepare(
        'INSERT INTO record_keys (org_id, module, field, value, record_id) VALUES (?, ?, ?, ?, ?)',
      );
      const upd = db.prepare('UPDATE records SET data = ?, modified_at = ? WHERE id = ? AND org_id = ? AND module = ?');
      return {
        setup: () => {},
        lookup: lookupWith(
          perLength(
            db,
            (n) =>
              `SELECT value AS k, record_id AS id FROM record_keys WHERE org_id = ? AND module = ? AND field = ? AND value IN (${inList(n)})`,
          ),
          [ORG, MODULE, 'Email'],
        ),
        load: loadWith(perLength(db, (n) => `SELECT id, data FROM records WHERE id IN (${inList(n)})`)),
        insert: (_db, id, data, k) => {
          ins.run(id, ORG, MODULE, JSON.stringify(data), 1, 1);
          key.run(ORG, MODULE, 'Email', k, id);
        },
        update: (_db, id, data) => void upd.run(JSON.stringify(data), 2, id, ORG, MODULE),
      };
    },
    // Today's layout plus a partial expression index on a non-unique e-mail field (search?email=).
    'current+email-index': () => {
      const base = layouts(db).current!();
      db.exec(`CREATE INDEX records_secondary_email ON records
                 (org_id, module, lower(replace(json_extract(data, '$.Secondary_Email'), char(8490), 'k')))
               WHERE json_extract(data, '$.Secondary_Email') IS NOT NULL`);
      return base;
    },
    'key-column': () => {
      db.exec(`CREATE TABLE m1 (id INTEGER PRIMARY KEY, data TEXT NOT NULL, created_at INTEGER NOT NULL,
                 modified_at INTEGER NOT NULL, key_Email TEXT);
               CREATE UNIQUE INDEX m1_Email ON m1 (key_Email) WHERE key_Email IS NOT NULL;`);
      const ins = db.prepare('INSERT INTO m1 (id, data, created_at, modified_at, key_Email) VALUES (?, ?, ?, ?, ?)');
      const upd = db.prepare('UPDATE m1 SET data = ?, modified_at = ? WHERE id = ?');
      return {
        setup: () => {},
        lookup: lookupWith(
          perLength(db, (n) => `SELECT key_Email AS k, id FROM m1 WHERE key_Email IN (${inList(n)})`),
          [],
        ),
        load: loadWith(perLength(db, (n) => `SELECT id, data FROM m1 WHERE id IN (${inList(n)})`)),
        insert: (_db, id, data, k) => void ins.run(id, JSON.stringify(data), 1, 1, k),
        update: (_db, id, data) => void upd.run(JSON.stringify(data), 2, id),
      };
    },
    expression: () => {
      const expr = "lower(trim(json_extract(data, '$.Email')))";
      db.exec(`CREATE TABLE m2 (id INTEGER PRIMARY KEY, data TEXT NOT NULL, created_at INTEGER NOT NULL,
                 modified_at INTEGER NOT NULL);
               CREATE UNIQUE INDEX m2_Email ON m2 (${expr});`);
      const ins = db.prepare('INSERT INTO m2 (id, data, created_at, modified_at) VALUES (?, ?, ?, ?)');
      const upd = db.prepare('UPDATE m2 SET data = ?, modified_at = ? WHERE id = ?');
      return {
        setup: () => {},
        lookup: lookupWith(
          perLength(db, (n) => `SELECT ${expr} AS k, id FROM m2 WHERE ${expr} IN (${inList(n)})`),
          [],
        ),
        load: loadWith(perLength(db, (n) => `SELECT id, data FROM m2 WHERE id IN (${inList(n)})`)),
        insert: (_db, id, data) => void ins.run(id, JSON.stringify(data), 1, 1),
        update: (_db, id, data) => void upd.run(JSON.stringify(data), 2, id),
      };
    },
    columns: () => {
      const cols = LEADS_COLUMNS.map((c) => `"${c}" TEXT`).join(', ');
      db.exec(`CREATE TABLE m3 (id INTEGER PRIMARY KEY, ${cols}, created_at INTEGER NOT NULL,
                 modified_at INTEGER NOT NULL, key_Email TEXT);
               CREATE UNIQUE INDEX m3_Email ON m3 (key_Email) WHERE key_Email IS NOT NULL;`);
      const names = LEADS_COLUMNS.map((c) => `"${c}"`).join(', ');
      const ins = db.prepare(
        `INSERT INTO m3 (id, ${names}, created_at, modified_at, key_Email) VALUES (?, ${inList(LEADS_COLUMNS.length)}, ?, ?, ?)`,
      );
      const upd = db.prepare(
        `UPDATE m3 SET ${LEADS_COLUMNS.map((c) => `"${c}" = ?`).join(', ')}, modified_at = ? WHERE id = ?`,
      );
      const params = (data: Record<string, string>) => LEADS_COLUMNS.map((c) => data[c] ?? null);
      return {
        setup: () => {},
        lookup: lookupWith(
          perLength(db, (n) => `SELECT key_Email AS k, id FROM m3 WHERE key_Email IN (${inList(n)})`),
          [],
        ),
        load: (_db, ids) => {
          const out = new Map<number, Record<string, string>>();
          const stmt = perLength(db, (n) => `SELECT * FROM m3 WHERE id IN (${inList(n)})`);
          for (let i = 0; i < ids.length; i += IN_LIST) {
            const part = ids.slice(i, i + IN_LIST);
            for (const r of stmt(part.length).all(...part) as Array<Record<string, string> & { id: number }>)
              out.set(r.id, r);
          }
          return out;
        },
        insert: (_db, id, data, k) => void ins.run(id, ...params(data), 1, 1, k),
        update: (_db, id, data) => void upd.run(...params(data), 2, id),
      };
    },
    plain: () => {
      const cols = LEADS_COLUMNS.map((c) => `"${c}" TEXT`).join(', ');
      db.exec(
        `CREATE TABLE leads (${cols}, created_time INTEGER); CREATE UNIQUE INDEX leads_email ON leads ("Email");`,
      );
      const ins = db.prepare(`INSERT INTO leads VALUES (${inList(LEADS_COLUMNS.length + 1)})`);
      return {
        setup: () => {},
        lookup: () => new Map(),
        load: () => new Map(),
        insert: (_db, _id, data) => void ins.run(...LEADS_COLUMNS.map((c) => data[c] ?? ''), 1),
        update: () => {},
      };
    },
  };
}

function rowsOf(from: number, n: number, variant: number): Cells[] {
  const out: Cells[] = [];
  for (let i = from; i < from + n; i++) out.push(Papa.parse<string[]>(leadsRow(i, variant, '')).data[0]!);
  return out;
}

/** One job's store work over `rows`; returns CPU µs per row. */
function job(db: Database.Database, layout: Layout, rows: Cells[], nextId: { v: number }, upsert: boolean): number {
  const emailAt = LEADS_COLUMNS.indexOf('Email');
  const t0 = process.cpuUsage();
  for (let b = 0; b < rows.length; b += BATCH) {
    const batch = rows.slice(b, b + BATCH);
    const datas = batch.map((cells) => {
      const data: Record<string, string> = {};
      for (let c = 0; c < LEADS_COLUMNS.length; c++) data[LEADS_COLUMNS[c]!] = cells[c]!;
      return data;
    });
    const keys = batch.map((cells) => keyOf(cells[emailAt]!));
    const found = layout.lookup(db, keys);
    const loaded = upsert ? layout.load(db, [...found.values()]) : new Map<number, Record<string, string>>();
    db.transaction(() => {
      for (let i = 0; i < batch.length; i++) {
        const id = found.get(keys[i]!);
        if (id !== undefined) {
          if (upsert) layout.update(db, id, { ...loaded.get(id), ...datas[i] });
        } else layout.insert(db, nextId.v++, datas[i]!, keys[i]!);
      }
    })();
  }
  const used = process.cpuUsage(t0);
  return (used.user + used.system) / rows.length;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '200000' },
      layouts: { type: 'string' },
      repeat: { type: 'string', default: '2' },
    },
  });
  const n = Number(values.rows);
  const insertRows = rowsOf(0, n, 0);
  const upsertRows = rowsOf(n / 2, n, 1);
  const dir = mkdtempSync(join(tmpdir(), 'bulkwrite-layout-'));
  try {
    const names = values.layouts?.split(',') ?? ['current', 'key-column', 'expression', 'columns', 'plain'];
    for (let r = 0; r < Number(values.repeat); r++) {
      for (const name of names) {
        const file = join(dir, `${name}-${r}.db`);
        const db = new Database(file);
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.pragma('cache_size = -65536');
        const layout = layouts(db)[name]!();
        layout.setup(db);
        const nextId = { v: 4_000_000_000_000_001 }; // a safe integer of 16 digits (the server: 19)
        const ins = job(db, layout, insertRows, nextId, false);
        const up = name === 'plain' ? NaN : job(db, layout, upsertRows, nextId, true);
        db.close();
        rmSync(file, { force: true });
        rmSync(`${file}-wal`, { force: true });
        rmSync(`${file}-shm`, { force: true });
        console.log(
          `${name.padEnd(11)} ${n} rows: insert ${ins.toFixed(2)} µs/row, upsert (half match) ${up.toFixed(2)} µs/row`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
