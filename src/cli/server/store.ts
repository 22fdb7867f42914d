import { existsSync } from 'node:fs';
import type { Config } from '../../config.js';
import type { Org } from '../../domain/types.js';
import { openStorage, sqlitePath } from '../../storage/open-storage.js';
import type { Storage } from '../../storage/storage.js';
import { CliError } from '../exit-codes.js';

const INIT_HINT = 'or add --init to start a new, empty one there';

/** Without `init`: a usage error when SQLite is the store and the data folder holds none (a check that creates nothing). */
export function requireSqliteStore(config: Config, opts: { init?: boolean } = {}): void {
  if (config.databaseUrl || opts.init || existsSync(sqlitePath(config))) return;
  throw new CliError(
    `no bulkwrite store in the data folder ${config.dataDir} (no ${sqlitePath(config)} yet).
Pass the folder your server uses with --data-dir ("bulkwrite serve" prints it as "data folder: …"), ${INIT_HINT}.`,
  );
}

/**
 * Opens the store the server uses: SQLite in the data folder, or PostgreSQL with BULKWRITE_DATABASE_URL.
 * A folder or database that holds no store yet is most likely the wrong one (a command run from another
 * folder than `serve`): it is created only with `init`, else the command says where it looked.
 */
export async function openExistingStorage(config: Config, opts: { init?: boolean } = {}): Promise<Storage> {
  requireSqliteStore(config, opts);
  const storage = await openStorage(config);
  if (config.databaseUrl && !opts.init && !(await storage.orgs.getDefault())) {
    await storage.close();
    throw new CliError(
      `the PostgreSQL database of BULKWRITE_DATABASE_URL holds no org yet: is it the one your server uses? Start "bulkwrite serve" on it first, ${INIT_HINT}.`,
    );
  }
  return storage;
}

/** Runs `run` over the server's store (see openExistingStorage). */
export async function withStorage<T>(
  config: Config,
  run: (storage: Storage) => Promise<T>,
  opts: { init?: boolean } = {},
): Promise<T> {
  const storage = await openExistingStorage(config, opts);
  try {
    return await run(storage);
  } finally {
    await storage.close();
  }
}

/** The org `id` names, or a usage error that says how to find one. */
export async function findOrg(storage: Storage, id: string | undefined): Promise<Org> {
  if (!id) throw new CliError('--org is required (see "bulkwrite org list")');
  const org = await storage.orgs.get(id);
  if (!org) throw new CliError(`no org ${id} in this data folder (see "bulkwrite org list")`);
  return org;
}
