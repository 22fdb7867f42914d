import type { ApiVersion } from '../domain/api-versions.js';
import { ZohoError } from '../errors/zoho-error.js';

/**
 * A create-job body (bulk write or bulk read) as JSON; undefined when empty. v8 (Zoho's OpenAPI files)
 * answers a body sent as another media type than JSON with REQUEST_BODY_NOT_SUPPORTED; a body that is not
 * JSON gets the route's own code (`notJson`).
 */
export function parseJsonBody(
  body: unknown,
  contentType: string | undefined,
  version: ApiVersion,
  notJson: () => ZohoError,
): unknown {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (version.openApiCodes && type !== '' && type !== 'application/json' && !type.endsWith('+json')) {
    throw new ZohoError('REQUEST_BODY_NOT_SUPPORTED', {
      message: `the request body must be application/json, not ${type}`,
      details: { content_type: type, supported_content_types: ['application/json'] },
    });
  }
  if (typeof body !== 'string') return body;
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    throw notJson();
  }
}
