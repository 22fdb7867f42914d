import type { FastifyInstance } from 'fastify';
import { rm } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AUTO, CsvFileError, summarizeZipCsv, summarizeZipCsvs } from '../../csv/read-csv.js';
import { MAX_CSVS_PER_ZIP } from '../../domain/parent-child.js';
import { tighter } from '../../domain/org-limits.js';
import { toZohoTime } from '../../domain/time.js';
import type { UploadedFile } from '../../domain/types.js';
import { ZohoError } from '../../errors/zoho-error.js';
import type { AppDeps } from '../deps.js';
import { diskShortage } from '../disk-guard.js';
import { JSON_TYPE, sendZohoError } from '../error-handler.js';
import { toUploadSuccess } from '../wire.js';

/**
 * Streams a multipart file part to `to`. When the body stops before the part's closing boundary, the
 * multipart parser destroys the part's stream without an error, at times before the route reads it;
 * `pipeline` on a stream destroyed before it was read never settles, so that case is refused first.
 */
async function savePart(file: Readable, to: Writable): Promise<void> {
  if (file.destroyed && !file.readableEnded) throw new Error('the file part was cut off');
  await pipeline(file, to);
}

/** Why a multipart body is refused after (or while) its file is read: `details.reason` and the message. */
const BODY_FAULTS = {
  truncated: 'the multipart body ended before the file did',
  'multiple-files': 'send one file part: the body holds more than one',
  malformed: 'the multipart body could not be read after the file',
};

/**
 * Watches a multipart body go by and tells whether its close delimiter (`CRLF--boundary--`, which the
 * content cannot hold) came: the multipart parser ends a body cut after a part's bytes as if it were
 * whole. Call it before the body is read; it keeps only the last few bytes.
 */
function watchCloseDelimiter(raw: Readable, contentType: string | undefined): () => boolean {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  const close = Buffer.from(`\r\n--${boundary?.[1] ?? boundary?.[2] ?? ''}--`);
  let seen = false;
  let tail = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    const window = Buffer.concat([tail, chunk]);
    if (window.includes(close)) {
      seen = true;
      raw.off('data', onData);
    }
    tail = window.subarray(Math.max(0, window.length - close.length + 1));
  };
  raw.on('data', onData);
  return () => seen;
}

export function registerUploadRoutes(app: FastifyInstance, deps: AppDeps): void {
  const now = deps.now ?? Date.now;

  app.post('/crm/:version/upload', { config: { scope: 'files' } }, async (req, reply) => {
    const { apiVersion: version, auth } = req;
    const org = await deps.storage.orgs.get(auth.orgId);
    if (!org) throw new ZohoError('INVALID_TOKEN');

    // The upload's temporary file, once there is one: removed before a refusal is answered, so that
    // nothing of a refused upload is left once the client reads the answer.
    let tmp: string | null = null;
    // Upload errors carry created_time in details, as Zoho's recorded answers do.
    const fail = async (
      code: ConstructorParameters<typeof ZohoError>[0],
      message?: string,
      extra: Record<string, unknown> = {},
    ) => {
      if (tmp !== null) await rm(tmp, { force: true });
      const error = new ZohoError(code, {
        ...(message ? { message } : {}),
        details: { created_time: toZohoTime(now(), org.timeZone), ...extra },
      });
      return sendZohoError(reply, error, deps.config.uploadErrorStatus === 'observed' ? 200 : error.httpStatus);
    };

    const feature = req.headers.feature;
    if (feature === undefined)
      return fail('MANDATORY_NOT_FOUND', 'required header feature is not found in request.', { header: 'feature' });
    if (String(feature).toLowerCase() !== 'bulk-write')
      return fail('NOT_SUPPORTED_FEATURE', undefined, { header: 'feature' });
    const orgHeader = req.headers['x-crm-org'];
    if (orgHeader === undefined || orgHeader === '') {
      return fail('MANDATORY_NOT_FOUND', 'required header X-CRM-ORG is not found in request.', { header: 'X-CRM-ORG' });
    }
    if (String(orgHeader).trim() !== org.id) {
      return fail('INVALID_DATA', 'X-CRM-ORG does not name the organization of the access token.', {
        header: 'X-CRM-ORG',
      });
    }
    if (!req.isMultipart()) {
      return fail('INVALID_FILE_FORMAT', 'send the zip as the multipart/form-data field "file"', { api_name: 'file' });
    }

    const short = await diskShortage(deps);
    if (short) return fail('INSUFFICIENT_STORAGE', undefined, short);
    // The org's own limit (docs/admin-api.md, "Limits and credits") when it is the tighter.
    const limit = tighter(deps.config.limits.maxUploadBytes, req.orgLimits?.maxFileBytes);
    // One file part: the body is read to its end, so that a second one is refused rather than ignored.
    const closed = watchCloseDelimiter(req.raw, req.headers['content-type']);
    const files = req.files({ limits: { fileSize: limit, files: 1, fields: 10 } });
    let part;
    try {
      part = (await files.next()).value;
    } catch {
      return fail('INVALID_FILE_FORMAT', 'the multipart body could not be read', { api_name: 'file' });
    }
    if (!part || part.fieldname !== 'file') {
      part?.file.resume();
      return fail('MANDATORY_NOT_FOUND', 'required key file is not found in request body.', { api_name: 'file' });
    }

    tmp = deps.blobs.tempPath('upload.zip');
    try {
      try {
        await savePart(part.file, deps.blobs.write(tmp));
      } catch (e) {
        if ((e as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE' || part.file.truncated) {
          return fail('FILE_TOO_LARGE', undefined, { max_size_bytes: limit });
        }
        // The body stopped before the part's closing boundary, or the client went away mid-upload.
        return fail('INVALID_FILE_FORMAT', BODY_FAULTS.truncated, { api_name: 'file', reason: 'truncated' });
      }
      if (part.file.truncated) return fail('FILE_TOO_LARGE', undefined, { max_size_bytes: limit });
      // A second file part is refused (Zoho documents one `file`; taking the first would drop the other
      // silently), as is a body that breaks after the file.
      let fault: keyof typeof BODY_FAULTS | null = null;
      try {
        if (!(await files.next()).done) fault = 'multiple-files';
      } catch (e) {
        fault = (e as { code?: string }).code === 'FST_FILES_LIMIT' ? 'multiple-files' : 'malformed';
      }
      if (fault === null && !closed()) fault = 'truncated';
      if (fault !== null) return fail('INVALID_FILE_FORMAT', BODY_FAULTS[fault], { api_name: 'file', reason: fault });

      // A zip for a parent/child job holds one CSV per module; those jobs exist from v6 on.
      // Zip bombs stop at the first limit they reach, while the zip is read.
      const { limits } = deps.config;
      const uploadLimits = {
        maxUncompressedBytes: limits.maxUncompressedBytes,
        maxCompressionRatio: limits.maxCompressionRatio,
        maxHeaderLength: limits.maxHeaderBytes,
        maxRecordLength: limits.maxRecordBytes,
      };
      let csvs;
      try {
        csvs = version.parentChild
          ? await summarizeZipCsvs(tmp, MAX_CSVS_PER_ZIP, AUTO, uploadLimits)
          : [await summarizeZipCsv(tmp, AUTO, uploadLimits)];
      } catch (e) {
        if (e instanceof CsvFileError) {
          if (e.reason === 'not-zip' || e.reason === 'unreadable') return fail('INVALID_FILE_FORMAT');
          if (e.reason === 'uncompressed-size' || e.reason === 'compression-ratio') {
            return fail('FILE_TOO_LARGE', e.message, {
              reason: e.reason,
              ...(e.reason === 'uncompressed-size'
                ? { max_uncompressed_bytes: limits.maxUncompressedBytes }
                : { max_compression_ratio: limits.maxCompressionRatio }),
            });
          }
          if (e.reason === 'header-length' || e.reason === 'record-length') {
            return fail('INVALID_FILE_FORMAT', e.message, {
              reason: e.reason,
              max_bytes: e.reason === 'header-length' ? limits.maxHeaderBytes : limits.maxRecordBytes,
            });
          }
          return fail('FILE_NOT_SUPPORTED', `File not supported for bulk write: ${e.message}`, { reason: e.reason });
        }
        throw e;
      }

      const first = csvs[0]!;
      const id = (await deps.storage.reserveIds(1)).toString();
      const blobKey = `uploads/${org.id}/${id}.zip`;
      await deps.blobs.adopt(blobKey, tmp);
      const file: UploadedFile = {
        id,
        orgId: org.id,
        name: part.filename || `${id}.zip`,
        csvName: first.name,
        size: (await deps.blobs.size(blobKey)) ?? 0,
        blobKey,
        header: first.header,
        delimiter: first.delimiter,
        rowCount: first.rowCount,
        createdAt: now(),
        csvs,
      };
      await deps.storage.files.create(file);
      return reply
        .code(200)
        .header('content-type', JSON_TYPE)
        .send(JSON.stringify(toUploadSuccess(file, org)));
    } finally {
      await rm(tmp, { force: true });
    }
  });
}
