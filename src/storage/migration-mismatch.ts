/**
 * The database was migrated by another build, whose migration of this number was a different one: going
 * on would skip this build's migration and leave the schema half right.
 */
export function migrationMismatch(version: number, applied: string, file: string): Error {
  return new Error(
    `the database has migration ${version} as ${applied}, but this build's migration ${version} is ${file}: ` +
      'it was made by another build of bulkwrite; use a database made by this one',
  );
}
