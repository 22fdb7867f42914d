/** The scopes bulkwrite checks, as Zoho names them. Scope names compare case-insensitively. */

export const ALL_BULK_SCOPES = [
  'ZohoCRM.bulk.ALL',
  'ZohoCRM.modules.ALL',
  'ZohoCRM.settings.ALL',
  'ZohoCRM.org.ALL',
  'ZohoCRM.users.ALL',
  'ZohoFiles.files.ALL',
];

export function parseScopeList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function has(granted: readonly string[], wanted: string): boolean {
  const w = wanted.toLowerCase();
  return granted.some((g) => g.toLowerCase() === w);
}

/** Job details, downloads: ZohoCRM.bulk.CREATE or ZohoCRM.bulk.ALL. */
export function canUseBulkWrite(granted: readonly string[]): boolean {
  return has(granted, 'ZohoCRM.bulk.ALL') || has(granted, 'ZohoCRM.bulk.CREATE');
}

/** Bulk read jobs and their results: ZohoCRM.bulk.READ or ZohoCRM.bulk.ALL (docs/bulk-read.md#scopes). */
export function canUseBulkRead(granted: readonly string[]): boolean {
  return has(granted, 'ZohoCRM.bulk.ALL') || has(granted, 'ZohoCRM.bulk.READ');
}

/**
 * A read job's details and result: ZohoCRM.bulk.READ (or bulk.ALL), **or** read access to the job's
 * module (ZohoCRM.modules.ALL, ZohoCRM.modules.{module}.{ALL|READ}), as Zoho's job-details and
 * download-result pages say (docs/bulk-read.md#scopes).
 */
export function canSeeReadJob(granted: readonly string[], moduleScopeName: string): boolean {
  return canUseBulkRead(granted) || canReadModule(granted, moduleScopeName);
}

/** Whether any read job could be opened by these scopes, before the job (and so its module) is known. */
export function maySeeSomeReadJob(granted: readonly string[]): boolean {
  return (
    canUseBulkRead(granted) ||
    has(granted, 'ZohoCRM.modules.ALL') ||
    granted.some((g) => /^zohocrm\.modules\.[^.]+\.(all|read)$/i.test(g))
  );
}

/** Upload: ZohoFiles.files.ALL. */
export function canUploadFiles(granted: readonly string[]): boolean {
  return has(granted, 'ZohoFiles.files.ALL');
}

/** Create job: a bulk scope and write access to the module (ZohoCRM.modules.ALL or ZohoCRM.modules.{module}.{ALL|CREATE|UPDATE}). */
export function canWriteModule(
  granted: readonly string[],
  moduleScopeName: string,
  operation: 'insert' | 'update' | 'upsert',
): boolean {
  if (!canUseBulkWrite(granted)) return false;
  if (has(granted, 'ZohoCRM.modules.ALL') || has(granted, `ZohoCRM.modules.${moduleScopeName}.ALL`)) return true;
  const create = has(granted, `ZohoCRM.modules.${moduleScopeName}.CREATE`);
  const update =
    has(granted, `ZohoCRM.modules.${moduleScopeName}.UPDATE`) ||
    has(granted, `ZohoCRM.modules.${moduleScopeName}.WRITE`);
  if (operation === 'insert') return create;
  if (operation === 'update') return update || create;
  return create;
}

/** Records API reads: ZohoCRM.modules.ALL, or ZohoCRM.modules.{module}.{ALL|READ}. */
export function canReadModule(granted: readonly string[], moduleScopeName: string): boolean {
  return (
    has(granted, 'ZohoCRM.modules.ALL') ||
    has(granted, `ZohoCRM.modules.${moduleScopeName}.ALL`) ||
    has(granted, `ZohoCRM.modules.${moduleScopeName}.READ`)
  );
}

/** Metadata reads: ZohoCRM.settings.ALL, or ZohoCRM.settings.{modules|fields}.{ALL|READ}. */
export function canReadSettings(granted: readonly string[], kind: 'modules' | 'fields'): boolean {
  return (
    has(granted, 'ZohoCRM.settings.ALL') ||
    has(granted, `ZohoCRM.settings.${kind}.ALL`) ||
    has(granted, `ZohoCRM.settings.${kind}.READ`)
  );
}
