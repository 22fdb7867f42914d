import type { Blobs } from '../blobs/blobs.js';
import type { Config } from '../config.js';
import type { EmulatorClock } from '../domain/emulator-clock.js';
import type { Presentation } from '../data-centres.js';
import type { PinoLogger } from '../log.js';
import type { Storage } from '../storage/storage.js';

export interface AppDeps {
  config: Config;
  storage: Storage;
  blobs: Blobs;
  /** The server's public base URL (known only after listen when the port is 0). */
  baseUrl: () => string;
  /**
   * The origins the server names to clients (api_domain, download links). Default: everything at
   * baseUrl(). With a data centre configured, that DC's hosts (see data-centres.ts).
   */
  presentation?: () => Presentation;
  /** Real time for the emulator clock; buildApp replaces it with the clock's now(). */
  now?: () => number;
  /** The emulator clock (domain/emulator-clock.ts); buildApp makes one over the store when none is given. */
  clock?: EmulatorClock;
  /** Told when a job is queued, so an idle worker starts at once. */
  onJobCreated?: (jobId: string) => void;
  /** Told when an admin reset made a new default org (server.ts applies BULKWRITE_SCHEMA_FILE to it, as at start). */
  onDefaultOrgCreated?: (orgId: string) => Promise<void>;
  /** How many job worker threads this process runs now (the admin health answer). */
  workers?: () => number;
  /** The server's logger (log.ts); none: the app logs nothing. */
  logger?: PinoLogger;
}

/** The origins to name in answers: the configured presentation, else everything at baseUrl(). */
export function presentationOf(deps: AppDeps): Presentation {
  if (deps.presentation) return deps.presentation();
  const base = deps.baseUrl();
  return { apiDomain: base, accountsUrl: base, uploadUrl: base, downloadBase: base };
}
