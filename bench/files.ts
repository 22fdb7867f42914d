import { join } from 'node:path';
import { writeLeadsZip, type GeneratedZip, type LeadsFile } from './data.js';

/** The generated zips of one driver run, made on first use and reused by every run of every scenario. */
export class BenchFiles {
  private readonly made = new Map<string, Promise<GeneratedZip>>();

  constructor(
    private readonly dir: string,
    readonly rows: number,
    private readonly log: (msg: string) => void,
  ) {}

  private get(name: string, spec: LeadsFile): Promise<GeneratedZip> {
    let p = this.made.get(name);
    if (!p) {
      p = writeLeadsZip(join(this.dir, `${name}.zip`), spec).then((z) => {
        this.log(
          `generated ${name}.zip: ${z.rows.toLocaleString('en-US')} rows, CSV ${(z.csvBytes / 2 ** 20).toFixed(0)} MB, ` +
            `zip ${(z.zipBytes / 2 ** 20).toFixed(0)} MB in ${(z.ms / 1000).toFixed(1)} s`,
        );
        return z;
      });
      this.made.set(name, p);
    }
    return p;
  }

  /** Rows 0 … rows-1: unique Emails, for inserting into an empty database. */
  insert(): Promise<GeneratedZip> {
    return this.get('leads-insert', { from: 0, rows: this.rows });
  }

  /** Rows rows/2 … 3·rows/2 with other cells changed: half match the insert file by Email, half are new. */
  upsert(): Promise<GeneratedZip> {
    return this.get('leads-upsert', { from: Math.floor(this.rows / 2), rows: this.rows, variant: 1 });
  }

  /** A 25,000-row file (Zoho's largest job) whose Emails collide with no other file. */
  small(n: number, rows: number): Promise<GeneratedZip> {
    return this.get(`leads-25k-${n}`, { from: n * rows, rows, tag: 'small' });
  }

  /** A file whose Emails are unique to `tag`, for databases that outlive one run (PostgreSQL). */
  tagged(tag: string, from: number, rows: number): Promise<GeneratedZip> {
    return this.get(`leads-${tag}-${from}`, { from, rows, tag });
  }
}
