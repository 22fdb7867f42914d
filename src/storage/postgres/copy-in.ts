import type pg from 'pg';
import { escapeText } from '../packed-results.js';

/** Buffers of finished COPYs, kept for the next chunk: a fresh multi-megabyte buffer costs page faults. */
const spare: Buffer[] = [];
const SPARE_MAX = 4;

/**
 * Rows for `COPY … FROM STDIN` in PostgreSQL's text format, encoded as UTF-8 straight into one growing
 * buffer: one `write` per row, no array literals to escape and no multi-megabyte string to measure and
 * copy again (on Node 20, `Buffer.byteLength` + `write` of a 2 MB JSON parameter cost ~8 µs per row).
 */
export class CopyRows {
  private buf = spare.pop() ?? Buffer.allocUnsafeSlow(1 << 20);
  private len = 0;

  /** Adds one row given as its finished text line (fields escaped with `copyText`, tab-separated, ending in `\n`). */
  line(text: string): void {
    // UTF-16 code units never take more than 3 bytes each in UTF-8.
    const worst = text.length * 3;
    if (this.buf.length - this.len < worst) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.len + worst));
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    this.len += this.buf.write(text, this.len);
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  /** Hands the buffer back for another COPY; this object must not be used afterwards. */
  release(): void {
    if (spare.length < SPARE_MAX) spare.push(this.buf);
    this.len = 0;
  }
}

/** A value as a field of COPY's text format: backslash, tab, newline and carriage return escaped. */
export const copyText = escapeText;

/**
 * JSON text as a COPY field. JSON.stringify escapes every control character itself, so only its
 * backslashes need doubling.
 */
export function copyJson(json: string): string {
  return json.includes('\\') ? json.replaceAll('\\', '\\\\') : json;
}

/**
 * A `COPY … FROM STDIN` for node-postgres, as a Submittable (the extension point pg-cursor and
 * pg-copy-streams use): the statement goes as a simple query, and when the server asks for the data,
 * the whole buffer is sent as one CopyData message and CopyDone. Errors (a unique key taken, bad
 * JSON) arrive as an ErrorResponse and reject the promise; the caller's transaction then rolls back.
 */
class CopyFromBuffer implements pg.Submittable {
  private rowCount = 0;
  private done = false;

  constructor(
    private readonly text: string,
    private readonly data: Buffer,
    private readonly callback: (err: Error | null, rowCount: number) => void,
  ) {}

  submit(connection: pg.Connection): void {
    (connection as unknown as WireConnection).query(this.text);
  }

  handleCopyInResponse(connection: WireConnection): void {
    // In pieces: pg copies each message into a buffer of its own, and small ones reuse memory.
    for (let at = 0; at < this.data.length; at += PIECE)
      connection.sendCopyFromChunk(this.data.subarray(at, at + PIECE));
    connection.endCopyFrom();
  }

  handleCommandComplete(msg: { text?: string }): void {
    this.rowCount = Number(msg.text?.split(' ')[1] ?? 0);
  }

  handleReadyForQuery(): void {
    this.finish(null);
  }

  handleError(err: Error): void {
    this.finish(err);
  }

  /** Not expected for COPY FROM; present because the client calls them on whatever query is active. */
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}

  private finish(err: Error | null): void {
    if (this.done) return;
    this.done = true;
    this.callback(err, this.rowCount);
  }
}

const PIECE = 1 << 15;

/** The parts of pg's connection a COPY uses (not in @types/pg). */
interface WireConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/**
 * Runs `COPY <target> FROM STDIN` with `rows` on `client`; resolves to the number of rows copied. The
 * rows' buffer is released once the server has answered (by then every byte of it has been sent).
 */
export function copyFrom(client: pg.PoolClient, target: string, rows: CopyRows): Promise<number> {
  return new Promise((resolve, reject) => {
    client.query(
      new CopyFromBuffer(`COPY ${target} FROM STDIN`, rows.bytes(), (err, n) => {
        rows.release();
        if (err) reject(err);
        else resolve(n);
      }),
    );
  });
}
