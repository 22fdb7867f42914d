/**
 * The Bulk Write API versions bulkwrite serves, and what differs between them on the wire. Everything
 * version-specific is a flag here; request parsing (job-request.ts) and the wire shapes (api/wire.ts)
 * read the flags, so no route compares version strings.
 */

export const API_VERSION_NAMES = ['v2', 'v2.1', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8'] as const;
export type ApiVersionName = (typeof API_VERSION_NAMES)[number];

export interface ApiVersion {
  readonly name: ApiVersionName;
  /** v2 sends and reads `module` as a plain string ("Leads"); from v2.1 on it is an object `{api_name, id}`. */
  readonly moduleAsString: boolean;
  /** v8's `created_by` is a MinifiedUser `{id, name, email}`; earlier versions have `{id, name}`. */
  readonly createdByEmail: boolean;
  /** v8 refuses a callback method other than post with its own code; earlier versions say INVALID_DATA. */
  readonly callbackMethodCode: 'INVALID_CALLBACK_METHOD' | 'INVALID_DATA';
  /**
   * v8's OpenAPI file documents INVALID_CALLBACK_URL ("the supplied callback URL is invalid", its example
   * an unreachable callback) for a callback URL it refuses; earlier versions say INVALID_DATA.
   */
  readonly callbackUrlCode: 'INVALID_CALLBACK_URL' | 'INVALID_DATA';
  /**
   * v6+ resources take `file_names` and mappings take `parent_column_index` (parent/child jobs); job
   * details echo them, every mapping with `parent_column_index` (null when unset).
   */
  readonly parentChild: boolean;
  /**
   * v8's OpenAPI file lists create-job codes earlier versions do not name (COEXISTENCE_NOT_ALLOWED,
   * FILE_NOT_FOUND, MISSING_REQUIRED_KEY, INVALID_REQUEST, REQUEST_BODY_NOT_SUPPORTED); before v8 the same
   * requests get the code the version documents (INVALID_DATA, INVALID_FILE_ID, MANDATORY_NOT_FOUND).
   */
  readonly openApiCodes: boolean;
  /**
   * v4+ records lists hand out `info.next_page_token` for `page_token=`, and `page` alone reaches only
   * the first 2,000 records (DISCRETE_PAGINATION_LIMIT_EXCEEDED); before v4 `page` reaches every record.
   */
  readonly pageTokens: boolean;
  /**
   * v7+ bulk read: a completed page's `result.next_page_token`, sent back as `query.page_token` for the
   * next page (Zoho's v7 job-details samples; v8 OpenAPI file and SDK).
   */
  readonly readPageTokens: boolean;
}

function define(name: ApiVersionName, rank: number): ApiVersion {
  return Object.freeze({
    name,
    moduleAsString: name === 'v2',
    createdByEmail: rank >= 8,
    callbackMethodCode: rank >= 8 ? 'INVALID_CALLBACK_METHOD' : 'INVALID_DATA',
    callbackUrlCode: rank >= 8 ? 'INVALID_CALLBACK_URL' : 'INVALID_DATA',
    parentChild: rank >= 6,
    openApiCodes: rank >= 8,
    pageTokens: rank >= 4,
    readPageTokens: rank >= 7,
  });
}

const VERSIONS: ReadonlyMap<string, ApiVersion> = new Map(
  API_VERSION_NAMES.map((name) => [name, define(name, name === 'v2.1' ? 2 : Number(name.slice(1)))]),
);

/** The version named by a URL segment (`v2.1`, `v8` …); undefined for one Zoho never served. */
export function findApiVersion(name: string): ApiVersion | undefined {
  return VERSIONS.get(name);
}

/** The version a stored job was created with; jobs from before versions were tracked read as v2.1. */
export function apiVersionOf(name: string): ApiVersion {
  return VERSIONS.get(name) ?? V2_1;
}

export const V2_1: ApiVersion = VERSIONS.get('v2.1')!;
