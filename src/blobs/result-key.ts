/** Where a job's result zip is kept: written by the job worker, read by the download route. */
export function resultBlobKey(orgId: string, jobId: string): string {
  return `results/${orgId}/${jobId}.zip`;
}
