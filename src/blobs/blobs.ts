import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { readdir, rename, rm, stat, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** Uploaded zips and result zips, by key. The default keeps them as files under the data folder. */
export interface Blobs {
  /** A local file path for the blob (zip readers need random access). */
  pathOf(key: string): string;
  /** Moves a finished temporary file into place under `key`. */
  adopt(key: string, tempPath: string): Promise<void>;
  /** A temporary path in the blob area, on the same file system, for writing before `adopt`. */
  tempPath(name: string): string;
  read(key: string): Readable;
  write(tempPath: string): Writable;
  size(key: string): Promise<number | null>;
  remove(key: string): Promise<void>;
  /** Removes a folder of blobs and all it holds (`uploads/{org}`, `results`): the admin reset. */
  removeFolder(prefix: string): Promise<void>;
  /** Deletes a temporary file that was never adopted. */
  removeTemp(tempPath: string): Promise<void>;
  /** The temporary files there are now, with the process id in their name and when they were last written. */
  temps(): Promise<Array<{ path: string; pid: number | null; mtimeMs: number }>>;
  /** The blobs under `uploads/` or `results/` (keys `{area}/{org}/{name}`), a folder at a time. */
  list(area: 'uploads' | 'results'): AsyncIterable<{ key: string; mtimeMs: number }>;
  /** Bytes free for this server on the blobs' file system. */
  freeBytes(): Promise<number>;
}

/** Folders and files of the blob area are the server user's alone: uploads hold customers' data. */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

export function openFsBlobs(root: string): Blobs {
  mkdirSync(join(root, 'tmp'), { recursive: true, mode: PRIVATE_DIR_MODE });
  const pathOf = (key: string) => {
    if (!/^[A-Za-z0-9._/-]+$/.test(key) || key.includes('..')) throw new Error(`bad blob key ${key}`);
    return join(root, key);
  };
  return {
    pathOf,
    async adopt(key, tempPath) {
      const target = pathOf(key);
      mkdirSync(dirname(target), { recursive: true, mode: PRIVATE_DIR_MODE });
      await rename(tempPath, target);
    },
    tempPath(name) {
      return join(root, 'tmp', `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}-${name}`);
    },
    read(key) {
      return createReadStream(pathOf(key));
    },
    write(tempPath) {
      return createWriteStream(tempPath, { mode: PRIVATE_FILE_MODE });
    },
    async size(key) {
      try {
        return (await stat(pathOf(key))).size;
      } catch {
        return null;
      }
    },
    async remove(key) {
      await rm(pathOf(key), { force: true });
    },
    async removeFolder(prefix) {
      if (!/^(uploads|results)(\/[A-Za-z0-9._-]+)?$/.test(prefix) || prefix.includes('..'))
        throw new Error(`bad blob folder ${prefix}`);
      await rm(join(root, prefix), { recursive: true, force: true });
    },
    async removeTemp(tempPath) {
      if (tempPath.startsWith(join(root, 'tmp'))) await rm(tempPath, { force: true });
    },
    async temps() {
      const dir = join(root, 'tmp');
      const out: Array<{ path: string; pid: number | null; mtimeMs: number }> = [];
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        const at = await stat(join(dir, name)).catch(() => null);
        const pid = /^(\d+)-/.exec(name)?.[1];
        if (at?.isFile()) out.push({ path: join(dir, name), pid: pid ? Number(pid) : null, mtimeMs: at.mtimeMs });
      }
      return out;
    },
    async *list(area) {
      for (const org of await readdir(join(root, area)).catch(() => [] as string[])) {
        if (!/^[A-Za-z0-9._-]+$/.test(org)) continue;
        for (const name of await readdir(join(root, area, org)).catch(() => [] as string[])) {
          const at = await stat(join(root, area, org, name)).catch(() => null);
          if (at?.isFile() && /^[A-Za-z0-9._-]+$/.test(name))
            yield { key: `${area}/${org}/${name}`, mtimeMs: at.mtimeMs };
        }
      }
    },
    async freeBytes() {
      const fs = await statfs(root);
      return fs.bavail * fs.bsize;
    },
  };
}
