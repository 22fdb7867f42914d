import { OrgSchemaError } from '../../domain/org-schema.js';
import { applyOrgSchemaFile } from '../../org-schema-file.js';
import { parseCommand } from '../args.js';
import { CliError } from '../exit-codes.js';
import { configFrom } from './server-commands.js';
import { openExistingStorage } from './store.js';

export const SCHEMA_HELP = `Usage: bulkwrite org schema <apply FILE|show> [--org ID] [--data-dir DIR] [--json]

Custom modules and custom fields of an org (docs/modules.md#custom-modules-and-fields).
  apply FILE   validate the JSON document in FILE and store it as the org's schema; a running server
               and its workers use it from their next request or job, without a restart, and the
               records already stored are kept
  show         print the org's stored schema document
--org names the org (default: the default org, the oldest).`;

/** `bulkwrite org schema …`: an admin command over the server's store, like `org` and `client`. */
export async function schemaCommand(argv: string[]): Promise<number> {
  const { values, positionals, help } = parseCommand('org schema', argv, {
    org: { type: 'string' },
    json: { type: 'boolean' },
    'data-dir': { type: 'string' },
  });
  if (help) {
    console.log(SCHEMA_HELP);
    return 0;
  }
  const [action, file, ...extra] = positionals;
  if (extra.length > 0) throw new CliError(`unexpected argument "${extra[0]}"`);
  if (action !== 'apply' && action !== 'show') {
    throw new CliError(
      `"bulkwrite org schema" takes apply or show, got ${action ? `"${action}"` : 'nothing'}\n\n${SCHEMA_HELP}`,
    );
  }
  if (action === 'apply' && !file) throw new CliError(`"schema apply" needs the schema file\n\n${SCHEMA_HELP}`);
  if (action === 'show' && file) throw new CliError(`unexpected argument "${file}"`);
  const storage = await openExistingStorage(configFrom(values));
  try {
    const org = values.org ? await storage.orgs.get(values.org) : await storage.orgs.getDefault();
    if (!org) throw new CliError(values.org ? `no org with id ${values.org}` : 'there is no org yet');
    if (action === 'show') {
      const stored = await storage.schemas.get(org.id);
      const document = stored ? (JSON.parse(stored.document) as unknown) : { modules: [], fields: {} };
      console.log(
        JSON.stringify(
          values.json ? { org_id: org.id, version: stored?.version ?? 0, schema: document } : document,
          null,
          2,
        ),
      );
      return 0;
    }
    try {
      const applied = await applyOrgSchemaFile(storage, org.id, file!, Date.now());
      const summary = {
        org_id: org.id,
        version: applied.schema.version,
        changed: applied.changed,
        custom_modules: applied.modules,
        custom_fields: applied.fields,
      };
      console.log(
        values.json
          ? JSON.stringify(summary, null, 2)
          : `${applied.changed ? 'applied' : 'unchanged'}: org ${org.id}, schema version ${applied.schema.version}, ` +
              `${applied.modules} custom module(s), ${applied.fields} custom field(s)`,
      );
      return 0;
    } catch (e) {
      if (e instanceof OrgSchemaError) throw new CliError(e.message);
      throw e;
    }
  } finally {
    await storage.close();
  }
}
