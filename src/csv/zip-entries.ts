import yauzl from 'yauzl';
import type { Readable } from 'node:stream';

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
              open: () =>
                new Promise<Readable>((res, rej) =>
                  zip.openReadStream(entry, (e, s) => (e || !s ? rej(e ?? new Error('no stream')) : res(s))),
                ),
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
