import { InputError, ZohoApiError, type BulkWriteClient } from '../../client/index.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { Connection } from './profiles.js';

/**
 * Turns any failure into one message a user can act on, and its exit code. The message names what was
 * called, what answered, and the flag to change; the API's code stays in it so it can be looked up.
 */

export interface ExplainContext {
  conn?: Connection | undefined;
  client?: BulkWriteClient | undefined;
}

const SCOPES_BY_STEP: Record<string, string> = {
  upload: 'ZohoFiles.files.ALL',
  create: 'ZohoCRM.bulk.CREATE (or ZohoCRM.bulk.ALL) and ZohoCRM.modules.ALL (or ZohoCRM.modules.<module>.ALL)',
  job: 'ZohoCRM.bulk.CREATE or ZohoCRM.bulk.ALL',
  download: 'ZohoCRM.bulk.CREATE or ZohoCRM.bulk.ALL',
};

const STEP_NAMES: Record<string, string> = {
  token: 'refreshing the access token',
  upload: 'uploading the file',
  create: 'creating the job',
  job: 'reading the job',
  download: 'downloading the result',
};

function hostFlag(step: string): string {
  if (step === 'token') return '--accounts-url';
  if (step === 'upload') return '--upload-url';
  return '--api-domain';
}

function quoteList(items: unknown): string {
  return Array.isArray(items) ? items.map((c) => `"${String(c)}"`).join(', ') : '';
}

function explainInput(e: InputError): string {
  if (e.code !== 'CSV_HEADER_MISMATCH') return e.message;
  const d = e.details;
  const header = Array.isArray(d.header) ? `\nThe CSV header is: ${quoteList(d.header)}` : '';
  switch (d.problem) {
    case 'unknown-column':
      return `the CSV header does not match the mapping: --map names a column "${String(d.column)}" that is not in the file.${header}`;
    case 'unmapped-columns': {
      const cols = d.columns as string[];
      return `the CSV header does not match the mapping: ${quoteList(cols)} ${cols.length === 1 ? 'is not a field API name' : 'are not field API names'}.
Map each to a field, or leave it out, e.g. --map "${cols[0]}=<API name>" or --map "${cols[0]}=".${header}`;
    }
    case 'find-by-not-mapped':
      return `the CSV header does not match the mapping: --find-by ${String(d.find_by)}, but no column maps to ${String(d.find_by)} (mapped fields: ${(d.fields as string[]).join(', ') || 'none'}).${header}`;
    case 'duplicate-field':
      return `the CSV header does not match the mapping: ${e.message}; leave one out with --map "<column>="`;
    case 'empty-header':
      return 'the CSV has no header row; the first line must name the columns';
    default:
      return `the CSV header does not match the mapping: ${e.message}`;
  }
}

function explainApi(e: ZohoApiError, ctx: ExplainContext): { message: string; exitCode: number } {
  const conn = ctx.conn;
  const origin = (() => {
    try {
      return new URL(e.url).origin;
    } catch {
      return e.url;
    }
  })();
  const tag = `(${e.code}${e.httpStatus ? `, HTTP ${e.httpStatus}` : ''})`;
  const step = STEP_NAMES[e.step] ?? e.step;

  switch (e.code) {
    case 'NETWORK_ERROR': {
      const cause = String(e.details.cause ?? '');
      if (/ENOTFOUND|EAI_AGAIN/.test(cause)) {
        return {
          message: `cannot resolve the host of ${origin} while ${step}: check ${hostFlag(e.step)} (or --dc). Zoho's hosts look like https://www.zohoapis.com, https://accounts.zoho.com, https://content.zohoapis.com.`,
          exitCode: EXIT.UNREACHABLE,
        };
      }
      if (/ECONNREFUSED/.test(cause) && conn?.local) {
        return {
          message: `nothing answers at ${origin} while ${step} (${cause}). Is bulkwrite running? Start it with "npx bulkwrite serve", or point ${hostFlag(e.step)} at it.`,
          exitCode: EXIT.UNREACHABLE,
        };
      }
      return {
        message: `cannot reach ${origin} while ${step} (${cause || 'network error'}): check ${hostFlag(e.step)} and your network.`,
        exitCode: EXIT.UNREACHABLE,
      };
    }
    case 'UNEXPECTED_RESPONSE':
    case 'INVALID_URL_PATTERN': {
      const what =
        e.code === 'INVALID_URL_PATTERN'
          ? `does not serve ${new URL(e.url).pathname}`
          : `answered like something else than Zoho's Bulk Write API (HTTP ${e.httpStatus}, ${String(e.details.content_type ?? 'no content type')})`;
      const hint =
        e.step === 'token'
          ? "--accounts-url must be Zoho's accounts server for the org's data centre, e.g. https://accounts.zoho.eu"
          : e.step === 'upload'
            ? '--upload-url must be the file upload host, e.g. https://content.zohoapis.com'
            : '--api-domain must be the API domain, e.g. https://www.zohoapis.com, not the CRM web address (crm.zoho.com)';
      return {
        message: `${origin} ${what} while ${step}. Is it the right domain? ${hint}; --api-version is ${conn?.apiVersion ?? 'v2.1'}. ${tag}`,
        exitCode: EXIT.UNREACHABLE,
      };
    }
    case 'INVALID_TOKEN':
    case 'AUTHENTICATION_FAILURE': {
      const refreshable = ctx.client?.tokens.canRefresh ?? false;
      const named = ctx.client?.tokens.apiDomain;
      const apiDomain = conn?.endpoints.apiDomain;
      if (named && apiDomain && !conn?.local && named.replace(/\/+$/, '') !== apiDomain) {
        return {
          message: `${origin} refused the access token while ${step} ${tag}. The accounts server says this org's API domain is ${named}, but the CLI called ${apiDomain}: use --api-domain ${named} or the matching --dc.`,
          exitCode: EXIT.AUTH,
        };
      }
      if (refreshable) {
        return {
          message: `${origin} refused a freshly refreshed access token while ${step} ${tag}. The API domain may belong to another data centre than the accounts server ${conn?.endpoints.accountsUrl ?? ''}: check --dc, --api-domain and --accounts-url.`,
          exitCode: EXIT.AUTH,
        };
      }
      const local = conn?.local ? ' (for a local bulkwrite: npx bulkwrite credentials --json)' : '';
      return {
        message: `the access token was refused while ${step} ${tag}: it has expired (access tokens live one hour), was revoked, or belongs to another server or data centre. Get a new one${local}, or give --client-id, --client-secret and --refresh-token so the CLI refreshes it.`,
        exitCode: EXIT.AUTH,
      };
    }
    case 'OAUTH_SCOPE_MISMATCH':
      return {
        message: `the access token lacks a scope needed for ${step} ${tag}. It needs ${SCOPES_BY_STEP[e.step] ?? 'the bulk write scopes'}. Make a token with the scopes ZohoCRM.bulk.ALL,ZohoCRM.modules.ALL,ZohoFiles.files.ALL.`,
        exitCode: EXIT.AUTH,
      };
    case 'NO_PERMISSION':
    case 'AUTHORIZATION_FAILED':
      return {
        message: `the user of this token may not do this (${step}): ${e.message} ${tag}. Check the user's profile permissions in the CRM.`,
        exitCode: EXIT.AUTH,
      };
    case 'invalid_client':
      return {
        message: `the accounts server ${origin} does not know the client id ${tag}: check --client-id, and that --dc/--accounts-url is the data centre where the client was registered (a client of accounts.zoho.eu is unknown to accounts.zoho.com).`,
        exitCode: EXIT.AUTH,
      };
    case 'invalid_client_secret':
      return {
        message: `the accounts server ${origin} refused the client secret ${tag}: check --client-secret.`,
        exitCode: EXIT.AUTH,
      };
    case 'invalid_code':
      return {
        message: `the accounts server ${origin} refused the refresh token ${tag}: it is wrong, revoked, or belongs to another client or data centre. Make a new refresh token${conn?.local ? ' (npx bulkwrite credentials --json)' : ''}.`,
        exitCode: EXIT.AUTH,
      };
    case 'RESOURCE_NOT_FOUND':
      if (e.step === 'job') {
        const id = decodeURIComponent(new URL(e.url).pathname.split('/').pop() ?? '');
        return {
          message: `there is no job ${id} in this org ${tag}. Check the id, and that you are talking to the server or org that ran it (${conn?.endpoints.apiDomain ?? origin}).`,
          exitCode: EXIT.API_ERROR,
        };
      }
      break;
    case 'RESULT_NOT_READY':
      return {
        message: `${e.message}. Wait for it with: bulkwrite job ${String(e.details.job_id)} --wait`,
        exitCode: EXIT.API_ERROR,
      };
    case 'LINK_NOT_VALID':
      return {
        message: `the result link is not valid ${tag}: it has expired, or belongs to another org.`,
        exitCode: EXIT.API_ERROR,
      };
    case 'INVALID_FIELD':
      if (e.step === 'create') {
        const name = String(e.details.api_name ?? '');
        return {
          message: `"${name}" is not a field of the module ${tag}: ${e.message}
If it is a CSV column, map it to the field's API name with --map "${name}=<API name>", or leave it out with --map "${name}=".`,
          exitCode: EXIT.API_ERROR,
        };
      }
      break;
    case 'MODULE_NOT_AVAILABLE':
      return {
        message: `${e.message} ${tag} Check --module: it takes the module's API name, e.g. Leads, Contacts, Accounts, Deals.`,
        exitCode: EXIT.API_ERROR,
      };
    case 'MANDATORY_FIELDS_NOT_MAPPED':
      return {
        message: `${e.message} ${tag}${Object.keys(e.details).length ? ` ${JSON.stringify(e.details)}` : ''}. Map a column to each mandatory field (--map) or give it a value (--default "Field=value").`,
        exitCode: EXIT.API_ERROR,
      };
    case 'FILE_TOO_LARGE':
      return {
        message: `the zipped file is larger than the upload limit ${tag}. Split the CSV (Zoho takes at most 25 MB and 25,000 rows per file).`,
        exitCode: EXIT.API_ERROR,
      };
    case 'TOO_MANY_REQUESTS':
      return {
        message: `the API is rate-limiting this org ${tag}: try again later.`,
        exitCode: EXIT.API_ERROR,
      };
    default:
      break;
  }
  if (e.details.header === 'X-CRM-ORG') {
    return {
      message: `the org id ${conn?.org ?? ''} is not the org of the access token ${tag}: check --org (for a local bulkwrite it is org_id in "npx bulkwrite credentials --json").`,
      exitCode: EXIT.API_ERROR,
    };
  }
  const details = Object.keys(e.details).length ? ` ${JSON.stringify(e.details)}` : '';
  return { message: `the API refused ${step}: ${e.message} ${tag}${details}`, exitCode: EXIT.API_ERROR };
}

export function explain(error: unknown, ctx: ExplainContext = {}): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof InputError) return { message: explainInput(error), exitCode: EXIT.USAGE };
  if (error instanceof ZohoApiError) return explainApi(error, ctx);
  const stack = process.env.BULKWRITE_DEBUG ? `\n${(error as Error).stack ?? ''}` : '';
  return {
    message: `unexpected error: ${(error as Error).message ?? String(error)}${stack}\nThis is a bug in bulkwrite; please report it (set BULKWRITE_DEBUG=1 to see the stack).`,
    exitCode: EXIT.INTERNAL,
  };
}
