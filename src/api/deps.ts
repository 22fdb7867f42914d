import type { Blobs } from '../blobs/blobs.js';
import type { Config } from '../config.js';
import type { Storage } from '../storage/storage.js';

export interface AppDeps {
  config: Config;
  storage: Storage;
  blobs: Blobs;
  /** The server's public base URL (known only after listen when the port is 0). */
  baseUrl: () => string;
  now?: () => number;
  /** Told when a job is queued, so an idle worker starts at once. */
  onJobCreated?: (jobId: string) => void;
  logger?: boolean;
}

export const API_VERSIONS = new Set(['v2.1']);
