import yauzl from 'yauzl';
import { Transform, type Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';

export interface ZipCsvEntry {
  name: string;
  /** As the zip declares them; the reader holds the entry to its declared uncompressed size. */
  uncompressedSize: number;
  compressedSize: number;
  open(): Promise<Readable>;
  close(): void;
}

export class NotAZipError extends Error {}

function isCsvEntry(name: string): boolean {
  const base = name.split('/').pop() ?? '';
  return !name.endsWith('/') && !name.startsWith('__MACOSX/') && !base.startsWith('.') && /\.csv$/i.test(base);
}

/** Opens a zip file and lists its CSV entries (folders, macOS resource forks and hidden files are passed over). */
export function openZipCsvEntries(path: string): Promise<{ csv: ZipCsvEntry[]; other: string[]; close(): void }> {
  return new Promise((resolve, reject) => {
    yauzl.open(
      path,
      { lazyEntries: true, autoClose: false, strictFileNames: false, validateEntrySizes: true },
      (err, zip) => {
        if (err || !zip) {
          reject(new NotAZipError(err?.message ?? 'not a zip'));
          return;
        }
        const csv: ZipCsvEntry[] = [];
        const other: string[] = [];
        zip.on('error', (e: Error) => reject(new NotAZipError(e.message)));
        zip.on('entry', (entry: yauzl.Entry) => {
          if (isCsvEntry(entry.fileName)) {
            csv.push({
              name: entry.fileName.split('/').pop() ?? entry.fileName,
              uncompressedSize: entry.uncompressedSize,
              compressedSize: entry.compressedSize,
              open: () => openEntryStream(zip, entry),
              close: () => zip.close(),
            });
          } else if (!entry.fileName.endsWith('/')) other.push(entry.fileName);
          zip.readEntry();
        });
        zip.on('end', () => resolve({ csv, other, close: () => zip.close() }));
        zip.readEntry();
      },
    );
  });
}

/**
 * The output buffer of a deflated entry's inflate stream. yauzl's own stream inflates into zlib's
 * default 16 KiB buffers and checks the size in a stream of its own: a 5 MB CSV went through ~320
 * chunks, each a hand-off between the pool thread and the JS thread plus two stream hops. One
 * compressed read (16 KiB) inflates to ~80 KiB of CSV, so with this buffer it is one chunk.
 */
const INFLATE_CHUNK = 128 << 10;

/**
 * An entry's bytes, inflated. A deflated entry is read raw and inflated here with a larger buffer
 * (INFLATE_CHUNK), held to its declared size as yauzl's validateEntrySizes does; anything else
 * (stored, encrypted, another method) is yauzl's stream, or its error, as before.
 */
function openEntryStream(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  const own = entry.compressionMethod === 8 && !entry.isEncrypted();
  return new Promise<Readable>((res, rej) =>
    zip.openReadStream(entry, own ? { decompress: false } : {}, (e, raw) => {
      if (e || !raw) {
        rej(e ?? new Error('no stream'));
        return;
      }
      if (!own) {
        res(raw);
        return;
      }
      const inflate = createInflateRaw({ chunkSize: INFLATE_CHUNK });
      const sized = new SizeCheck(entry.uncompressedSize);
      raw.on('error', (err) => sized.destroy(err));
      inflate.on('error', (err) => sized.destroy(err));
      sized.on('close', () => {
        raw.destroy();
        inflate.destroy();
      });
      raw.pipe(inflate).pipe(sized);
      res(sized);
    }),
  );
}

/** Passes an entry's inflated bytes on, failing when they are more or fewer than the zip declares. */
class SizeCheck extends Transform {
  private seen = 0;

  constructor(private readonly expected: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (e?: Error | null, data?: Buffer) => void): void {
    this.seen += chunk.length;
    if (this.seen > this.expected)
      done(new Error(`too many bytes in the stream. expected ${this.expected}. got at least ${this.seen}`));
    else done(null, chunk);
  }

  override _flush(done: (e?: Error | null) => void): void {
    if (this.seen < this.expected)
      done(new Error(`not enough bytes in the stream. expected ${this.expected}. got only ${this.seen}`));
    else done();
  }
}
