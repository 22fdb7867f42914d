import type { Config } from '../../config.js';
import type { Org } from '../../domain/types.js';
import { openStorage } from '../../storage/open-storage.js';
import type { Storage } from '../../storage/storage.js';
import { CliError } from '../exit-codes.js';

/** Runs `run` over the store the server uses: SQLite in the data folder, or PostgreSQL with BULKWRITE_DATABASE_URL. */
export async function withStorage<T>(config: Config, run: (storage: Storage) => Promise<T>): Promise<T> {
  const storage = await openStorage(config);
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
