import type { AppDeps } from './deps.js';

const MB = 1024 * 1024;

/**
 * What the upload route says when the data folder is short of space (below BULKWRITE_MIN_FREE_DISK_MB),
 * or null when there is room. Checked before the body is read: an upload refused at once is better than
 * one that fails half-way with the disk full, or a job that cannot write its result.
 */
export async function diskShortage(deps: AppDeps): Promise<{ free_mb: number; min_free_mb: number } | null> {
  const min = deps.config.minFreeDiskMb;
  if (min <= 0) return null;
  const free = Math.floor((await deps.blobs.freeBytes()) / MB);
  return free < min ? { free_mb: free, min_free_mb: min } : null;
}
