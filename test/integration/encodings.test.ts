import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createJob, downloadResult, upload, waitForJob } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeZip } from '../helpers/zip.js';

/**
 * Issue 16 item 3 and issue 15 item 6: Zoho auto-detects a CSV's encoding and honours an explicit
 * `character_encoding` (create-job page; v8 OpenAPI: "Zoho CRM auto-detects the encoding when this value
 * is omitted"). Each case uploads real bytes, runs a real job and reads back job details, the result
 * file and the stored records.
 */
const LATIN1 = Buffer.from('Last_Name,Company\nM\xfcller,Caf\xe9 Cr\xe8me\nAndr\xe9,Stra\xdfe AG\n', 'latin1');
const utf16le = (s: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);
const utf16be = (s: string) => {
  const le = Buffer.from(s, 'utf16le');
  for (let i = 0; i < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1]!, le[i]!];
  return Buffer.concat([Buffer.from([0xfe, 0xff]), le]);
};

describe('character encodings', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => t.close());

  async function run(bytes: Buffer, top: Record<string, unknown> = {}) {
    const res = await upload(t, await makeZip({ 'leads.csv': bytes }));
    assert.equal(res.status, 200, res.text);
    const fileId = (res.body.details as { file_id: string }).file_id;
    const created = await createJob(t, {
      operation: 'insert',
      ...top,
      resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
    });
    assert.equal(created.status, 201, created.text);
    const details = await waitForJob(t, (created.body.details as { id: string }).id);
    const result = await downloadResult(t, details);
    const records = [];
    for (const row of result.rows) {
      records.push(
        row.RECORD_ID ? (await t.server.storage.records.get(t.creds.org_id, 'Leads', row.RECORD_ID))?.data : null,
      );
    }
    return { details, result, records };
  }

  it('detects a Latin-1 (Excel) file without character_encoding, stores it right and names the encoding', async () => {
    const { details, result, records } = await run(LATIN1);
    assert.match(String(details.character_encoding), /^(ISO-8859-1|windows-1252)$/);
    assert.deepEqual(
      result.rows.map((r) => [r.STATUS, r.ERRORS]),
      [
        ['ADDED', ''],
        ['ADDED', ''],
      ],
    );
    assert.deepEqual(
      records.map((r) => [r?.Last_Name, r?.Company]),
      [
        ['Müller', 'Café Crème'],
        ['André', 'Straße AG'],
      ],
    );
  });

  it('names UTF-8 for a UTF-8 file, and honours an explicit encoding over detection', async () => {
    const utf8 = await run(Buffer.from('Last_Name\nMüller\n', 'utf8'));
    assert.equal(utf8.details.character_encoding, 'UTF-8');
    assert.equal(utf8.records[0]?.Last_Name, 'Müller');
    // Bytes that detection would take for Latin-1, read as ISO-8859-2 because the job says so.
    const explicit = await run(Buffer.from('Last_Name\n\xb3\xf3d\xbc\n', 'latin1'), {
      character_encoding: 'ISO-8859-2',
    });
    assert.equal(explicit.details.character_encoding, 'ISO-8859-2');
    assert.equal(explicit.records[0]?.Last_Name, 'łódź');
  });

  for (const [name, encode, label] of [
    ['UTF-16LE', utf16le, 'UTF-16'],
    ['UTF-16BE', utf16be, 'UTF-16'],
    ['UTF-16LE', utf16le, null],
    ['UTF-16BE', utf16be, null],
  ] as const) {
    it(`reads ${name} with a byte-order mark ${label ? `with character_encoding ${label}` : 'detected'}`, async () => {
      const { details, result, records } = await run(
        encode('Last_Name,Company\r\nMüller,日本語 KK\r\n'),
        label ? { character_encoding: label } : {},
      );
      assert.equal(details.character_encoding, label ?? name);
      assert.deepEqual([result.rows[0]?.STATUS, result.rows[0]?.ERRORS], ['ADDED', '']);
      assert.deepEqual([records[0]?.Last_Name, records[0]?.Company], ['Müller', '日本語 KK']);
    });
  }

  it('refuses, row by row, cells whose bytes are not valid in the encoding, and stores the other rows', async () => {
    // Row 2 holds a Latin-1 ü in an otherwise UTF-8 file (declared UTF-8): never stored as "M�ller".
    const bytes = Buffer.concat([
      Buffer.from('Last_Name,Company\nMüller,Fine\n', 'utf8'),
      Buffer.from('M\xfcller,Also fine\n', 'latin1'),
      Buffer.from('Ok,Bad \xff\xfe\n', 'latin1'),
      Buffer.from('Zed,Last\n', 'utf8'),
    ]);
    const { result, records } = await run(bytes, { character_encoding: 'UTF-8' });
    assert.deepEqual(
      result.rows.map((r) => [r.STATUS, r.ERRORS]),
      [
        ['ADDED', ''],
        ['SKIPPED', 'INVALID_DATA-Last_Name'],
        ['SKIPPED', 'INVALID_DATA-Company'],
        ['ADDED', ''],
      ],
    );
    assert.deepEqual(
      records.map((r) => r?.Last_Name ?? null),
      ['Müller', null, null, 'Zed'],
    );
  });
});
