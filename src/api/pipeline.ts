import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticate, type AuthContext } from '../auth/authenticate.js';
import {
  canReadModule,
  canReadSettings,
  canUploadFiles,
  canUseBulkRead,
  canUseBulkWrite,
  maySeeSomeReadJob,
} from '../auth/scopes.js';
import { findApiVersion, type ApiVersion } from '../domain/api-versions.js';
import type { EmulatorClock } from '../domain/emulator-clock.js';
import type { ModuleDef } from '../domain/modules.js';
import { catalogueFor, type Catalogue } from '../domain/org-schema.js';
import { ZohoError } from '../errors/zoho-error.js';
import type { Storage } from '../storage/storage.js';

/**
 * The scope a route's token must hold, by what it opens (auth/scopes.ts says which granted scopes do):
 * bulk write jobs and their results, file uploads, module or field metadata, and the records of the
 * module the URL names.
 */
export type RouteScope =
  'bulk' | 'bulk.read' | 'bulk.read.job' | 'files' | 'settings.modules' | 'settings.fields' | 'module.read';

/** The module a records URL names, in the catalogue of the token's org. */
export interface PathModule {
  module: ModuleDef;
  catalogue: Catalogue;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Routes with a scope ask for an access token that holds it; routes without one ask for no token. */
    scope?: RouteScope;
  }
  interface FastifyRequest {
    /** The version of a URL with a `:version` segment; set by the pipeline before any handler runs. */
    apiVersion: ApiVersion;
    /** Whose token this is; set on every route whose config names a scope. */
    auth: AuthContext;
    /** Set on routes whose scope is 'module.read'. */
    pathModule: PathModule;
  }
}

const SCOPE_ALLOWS: Record<RouteScope, (granted: readonly string[], req: FastifyRequest) => boolean> = {
  bulk: (granted) => canUseBulkWrite(granted),
  'bulk.read': (granted) => canUseBulkRead(granted),
  // A read job's details and result: the bulk scope, or the job's module scope, which the handler checks.
  'bulk.read.job': (granted) => maySeeSomeReadJob(granted),
  files: (granted) => canUploadFiles(granted),
  'settings.modules': (granted) => canReadSettings(granted, 'modules'),
  'settings.fields': (granted) => canReadSettings(granted, 'fields'),
  'module.read': (granted, req) => canReadModule(granted, req.pathModule.module.scopeName),
};

/** The API version of a `/crm/…/{version}/…` URL; INVALID_URL_PATTERN for one Zoho never served. */
export function requireVersion(name: string): ApiVersion {
  const version = findApiVersion(name);
  if (!version) throw new ZohoError('INVALID_URL_PATTERN');
  return version;
}

/** The module of the URL, before its scope can be checked: Zoho says INVALID_MODULE first. */
async function pathModule(storage: Storage, orgId: string, name: string): Promise<PathModule> {
  const catalogue = catalogueFor(orgId, await storage.schemas.get(orgId));
  const module = catalogue.find({ apiName: name });
  // Subform rows are read through their parent record, as in Zoho.
  if (!module || module.subformOf) throw new ZohoError('INVALID_MODULE', { details: { resource_path_index: 0 } });
  return { module, catalogue };
}

/** A request field the pipeline sets; reading it on a route that does not get it is a bug, said at once. */
function setByPipeline<T>(name: string, routes: string) {
  const slot = Symbol(name);
  type Slots = Record<symbol, T | undefined>;
  return {
    getter(this: FastifyRequest): T {
      const value = (this as unknown as Slots)[slot];
      if (value === undefined) throw new Error(`request.${name} is set only on routes with ${routes}`);
      return value;
    },
    setter(this: FastifyRequest, value: T): void {
      (this as unknown as Slots)[slot] = value;
    },
  };
}

/**
 * The checks every API request passes before its handler, in the order that decides which error a
 * client sees: a version Zoho never served (INVALID_URL_PATTERN, 404) → no usable Authorization
 * (AUTHENTICATION_FAILURE) or an unknown token (INVALID_TOKEN) → the records API's module
 * (INVALID_MODULE) → the route's scope (OAUTH_SCOPE_MISMATCH). They run after the body is read, as
 * the handlers' own checks did. Register before any route: routes take the hooks present when added.
 */
/**
 * How old the emulator clock's offset may be when a request reads it: a clock moved through another
 * process (or a worker) is seen within this time; one moved through this process, at once.
 */
export const CLOCK_MAX_AGE_MS = 200;

export function registerPipeline(app: FastifyInstance, deps: { storage: Storage; clock: EmulatorClock }): void {
  app.decorateRequest('apiVersion', setByPipeline<ApiVersion>('apiVersion', 'a :version segment'));
  app.decorateRequest('auth', setByPipeline<AuthContext>('auth', 'a scope in their config'));
  app.decorateRequest('pathModule', setByPipeline<PathModule>('pathModule', "the 'module.read' scope"));
  app.addHook('preHandler', async (req) => {
    await deps.clock.refresh(CLOCK_MAX_AGE_MS);
    const params = req.params as { version?: string; module?: string };
    if (params.version !== undefined) req.apiVersion = requireVersion(params.version);
    const scope = req.routeOptions.config.scope;
    if (scope === undefined) return;
    req.auth = await authenticate(deps.storage, req.headers.authorization, deps.clock.now());
    if (scope === 'module.read') req.pathModule = await pathModule(deps.storage, req.auth.orgId, params.module ?? '');
    if (!SCOPE_ALLOWS[scope](req.auth.scopes, req)) throw new ZohoError('OAUTH_SCOPE_MISMATCH');
  });
}
