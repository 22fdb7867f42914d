import { randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { Readable } from 'node:stream';
import { checkFilePath } from './csv-source.js';

/** Zip bytes to upload: a .zip path, bytes, a Blob, a stream, or a function that makes a new stream per attempt. */
export type UploadSource = string | Uint8Array | Blob | Readable | (() => Readable);

export interface BuiltBody {
  build: () => { body: NonNullable<RequestInit['body']>; duplex?: 'half' };
  replayable: boolean;
  headers: Record<string, string>;
}

function blobBody(blob: Blob, fileName: string): BuiltBody {
  return {
    build: () => {
      const form = new FormData();
      form.append('file', blob, fileName);
      return { body: form };
    },
    replayable: true,
    headers: {},
  };
}

/**
 * A multipart/form-data body with one part, `file` (spec §3.1), streamed: the zip is not held in memory
 * and the request goes out with chunked transfer encoding.
 */
function streamBody(make: () => Readable, fileName: string, replayable: boolean): BuiltBody {
  const boundary = `----bulkwrite${randomBytes(12).toString('hex')}`;
  const safeName = fileName.replace(/["\r\n]/g, '_');
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${safeName}"\r\nContent-Type: application/zip\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    build: () => {
      const zip = make();
      async function* parts() {
        yield head;
        for await (const chunk of zip) yield chunk as Buffer;
        yield tail;
      }
      return { body: Readable.toWeb(Readable.from(parts())) as unknown as ReadableStream, duplex: 'half' };
    },
    replayable,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

export async function uploadBody(source: UploadSource, fileName: string): Promise<BuiltBody> {
  if (typeof source === 'string') {
    await checkFilePath(source);
    return blobBody(await openAsBlob(source, { type: 'application/zip' }), fileName);
  }
  if (source instanceof Uint8Array) return blobBody(new Blob([source], { type: 'application/zip' }), fileName);
  if (source instanceof Blob) return blobBody(source, fileName);
  if (typeof source === 'function') return streamBody(source, fileName, true);
  let used = false;
  return streamBody(
    () => {
      if (used) throw new Error('internal: a one-shot upload stream was read twice');
      used = true;
      return source;
    },
    fileName,
    false,
  );
}
