import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { createDecoder } from '../csv/decode.js';
import { CsvRowParser } from '../csv/parse-rows.js';
import { STANDARD_CATALOGUE } from '../domain/org-schema.js';
import { compileRowPlan } from '../domain/row-plan.js';
import type { JobResource, JobSpec, Org, RowResult } from '../domain/types.js';
import type { Storage } from '../storage/storage.js';
import { applyBatch, type BatchRow } from './apply-batch.js';
import type { RecordIds } from './id-allocator.js';
import { IdSet } from './id-set.js';
import { resultLine } from './result-file.js';

/**
 * Warming the job pipeline up while the worker is idle, so that the first job of a fresh process does
 * not pay for V8's compilation on its own rows: the first 25,000-row job of a new server used ~1.6 × the
 * worker CPU of the next one (bench/README.md, "The 25,000-row job").
 *
 * It runs what every row of a job runs — decode, cut and parse the CSV text, map and validate each row
 * (`mapRow`), decide the batch (`applyBatch`: unique-key lookups, first-row-wins, ids), render the
 * result line — over generated Leads rows, as an insert and as an upsert by Email. It writes nothing:
 * the rows belong to no org (the store is only read, and holds nothing of it), their ids are made up
 * here and never stored, and no chunk is committed. It runs a slice at a time and stops as soon as
 * `keepGoing()` says a real job may be waiting, so a job is delayed by one slice at most.
 *
 * Measured (bench/README.md, "The 25,000-row job"): the first job's worker CPU fell by ~20 %; the
 * warm-up itself costs ~0.4 s of the idle worker thread's CPU once per process.
 */

/**
 * Rows per slice (a job created meanwhile waits for one slice at most: ~10–25 ms), and slices per
 * operation: 16,000 rows in all. 3,000 rows saved little of the first job's compile time; 16,000 saved
 * most of it (bench/README.md).
 */
const SLICE_ROWS = 500;
const SLICES = 16;

/** Not an org id the store hands out (they are numeric): lookups under it find nothing. */
const NO_ORG = 'warm-up';

const COLUMNS = [
  'Last_Name',
  'First_Name',
  'Email',
  'Company',
  'Phone',
  'Mobile',
  'Lead_Source',
  'Industry',
  'City',
  'State',
  'Country',
  'Description',
];

const NAMES = ['Smith', 'García', 'Nguyễn', 'Müller', "O'Brien", 'Kowalski', 'Tanaka', 'Silva'];
const PLACES = ['Austin,TX,USA', 'München,Bayern,Germany', 'Chennai,Tamil Nadu,India', 'São Paulo,SP,Brazil'];
const SOURCES = ['Web Download', 'Cold Call', 'Trade Show', 'Advertisement'];
const INDUSTRIES = ['ASP (Application Service Provider)', 'Government/Military', 'Large Enterprise', 'Other'];

/** Generated Leads CSV text: the header and `rows` rows, some cells quoted, some names not ASCII. */
function leadsCsv(rows: number, from: number): string {
  let text = `${COLUMNS.join(',')}\r\n`;
  for (let i = from; i < from + rows; i++) {
    const last = NAMES[i % NAMES.length]!;
    const first = NAMES[(i * 7) % NAMES.length]!;
    const [city, state, country] = PLACES[i % PLACES.length]!.split(',');
    const company = i % 3 === 0 ? `"${last} & Sons, Ltd"` : `${first} Holdings`;
    const description = i % 5 === 0 ? `"Met at the ""expo"", wants a call"` : `Lead number ${i} for the warm-up`;
    text += `${last},${first},${first}.${i}@warm-up.invalid,${company},+1 512-555-${String(i % 10_000).padStart(4, '0')},`;
    text += `+1 512-555-0199,${SOURCES[i % SOURCES.length]},${INDUSTRIES[i % INDUSTRIES.length]},${city},${state},`;
    text += `${country},${description}\r\n`;
  }
  return text;
}

function specOf(operation: 'insert' | 'upsert'): JobSpec {
  const resource: JobResource = {
    type: 'data',
    module: { apiName: 'Leads', id: '0' },
    fileId: '0',
    findBy: operation === 'upsert' ? 'Email' : null,
    ignoreEmpty: null,
    fieldMappings: COLUMNS.map((apiName, index) => ({
      apiName,
      index,
      format: null,
      findBy: null,
      module: null,
      defaultValue: null,
    })),
    autoMapped: false,
  };
  return {
    operation,
    characterEncoding: 'UTF-8',
    ignoreEmpty: false,
    ignoreEmptyGiven: false,
    callback: null,
    resources: [resource],
  };
}

/** Ids that look like the store's but are never stored. */
class WarmUpIds implements RecordIds {
  private next = 9_000_000_000_000_000_000n;
  take(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((this.next++).toString());
    return Promise.resolve(ids);
  }
}

/**
 * The warm-up of one worker: `run()` goes on where the last call stopped, so a worker can look for jobs
 * between its calls (every poll interval) and still finish it.
 */
export class PipelineWarmUp {
  private readonly org: Org = {
    id: NO_ORG,
    name: 'warm-up',
    timeZone: 'UTC',
    user: { id: '0', name: 'warm-up', email: 'warm-up@warm-up.invalid' },
    createdAt: 0,
  };
  private readonly ids = new WarmUpIds();
  private readonly matched = new IdSet();
  /** Slices run so far, over both operations. */
  private slice = 0;
  /** Rows run so far. */
  rows = 0;

  constructor(private readonly storage: Storage) {}

  get done(): boolean {
    return this.slice >= 2 * SLICES;
  }

  /** Runs slices while `keepGoing()` says so (asked before each one); true once the warm-up is done. */
  async run(keepGoing: () => boolean): Promise<boolean> {
    while (!this.done && keepGoing()) {
      const operation = this.slice < SLICES ? 'insert' : 'upsert';
      const from = this.slice * SLICE_ROWS;
      this.slice++;
      await this.runSlice(operation, from);
      await yieldToLoop();
    }
    return this.done;
  }

  private async runSlice(operation: 'insert' | 'upsert', from: number): Promise<void> {
    const spec = specOf(operation);
    const plan = compileRowPlan(spec, spec.resources[0]!, '+00:00', STANDARD_CATALOGUE);
    // Fed in pieces, as inflated chunks arrive, so the cut between records is exercised too.
    const bytes = Buffer.from(leadsCsv(SLICE_ROWS, from), 'utf8');
    const decode = createDecoder('UTF-8');
    const parser = new CsvRowParser(',');
    const rows: string[][] = [];
    for (let at = 0; at < bytes.length; at += 16_384)
      rows.push(...parser.push(decode(bytes.subarray(at, at + 16_384))));
    rows.push(...parser.end(decode(null)));
    const batch: BatchRow[] = rows.slice(1).map((cells, i) => ({ rowNo: from + i + 1, cells }));
    const matched = operation === 'upsert' ? this.matched : null;
    const outcome = await applyBatch(this.storage, this.org, plan, batch, this.ids, new Map(), matched);
    let length = 0;
    outcome.results.forEach((r: RowResult, i) => {
      length += resultLine(batch[i]!.cells, ECHO, COLUMNS.length, r).length;
    });
    if (length === 0 || outcome.added !== batch.length) throw new Error('the warm-up rows were not all decided as new');
    this.rows += batch.length;
  }
}

const ECHO = [0, 1, 2];

/** Runs the whole warm-up, or until `keepGoing()` is false; returns the rows run. */
export async function warmUpPipeline(storage: Storage, keepGoing: () => boolean): Promise<number> {
  const warm = new PipelineWarmUp(storage);
  await warm.run(keepGoing);
  return warm.rows;
}
