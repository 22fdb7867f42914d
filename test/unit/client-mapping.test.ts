import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { buildFieldMappings, InputError } from '../../src/client/index.js';
import { CsvCounter, detectDelimiter, peekCsvHeader } from '../../src/client/csv-source.js';

const header = (...columns: string[]) => ({ columns, delimiter: ',' });

function mismatch(problem: string) {
  return (e: unknown) =>
    e instanceof InputError &&
    e.code === 'CSV_HEADER_MISMATCH' &&
    (e.details as { problem: string }).problem === problem;
}

describe('field mappings from a CSV header', () => {
  it('sends no field_mappings when the header already names the fields, so the server maps it', () => {
    assert.equal(buildFieldMappings(header('Last_Name', 'Email', 'Account_Name.id'), {}), undefined);
  });

  it('refuses a header that is not field API names when nothing maps it', () => {
    assert.throws(() => buildFieldMappings(header('Last Name', 'Email'), {}), mismatch('unmapped-columns'));
  });

  it('maps renamed columns, keeps the others by their header, and leaves out "Column="', () => {
    const m = buildFieldMappings(header('Last Name', 'Email', 'Notes', 'Company'), {
      columns: { 'Last Name': 'Last_Name', Notes: '' },
    });
    assert.deepEqual(m, [
      { api_name: 'Last_Name', index: 0 },
      { api_name: 'Email', index: 1 },
      { api_name: 'Company', index: 3 },
    ]);
  });

  it('turns "Field.key" into a lookup find_by', () => {
    const m = buildFieldMappings(header('Name', 'Company'), {
      columns: { Name: 'Last_Name', Company: 'Account_Name.Account_Name' },
    });
    assert.deepEqual(m![1], { api_name: 'Account_Name', index: 1, find_by: 'Account_Name' });
  });

  it('finds a mapped column whatever its case or surrounding spaces', () => {
    const m = buildFieldMappings(header(' last name ', 'Email'), { columns: { 'Last Name': 'Last_Name' } });
    assert.equal(m![0]!.api_name, 'Last_Name');
  });

  it('refuses a mapping that names a column the CSV does not have', () => {
    assert.throws(
      () => buildFieldMappings(header('Last_Name'), { columns: { Surname: 'Last_Name' } }),
      mismatch('unknown-column'),
    );
  });

  it('refuses two columns mapped to one field', () => {
    assert.throws(
      () => buildFieldMappings(header('Last_Name', 'Surname'), { columns: { Surname: 'Last_Name' } }),
      mismatch('duplicate-field'),
    );
  });

  it('refuses a find_by no column maps to, before anything is uploaded', () => {
    assert.throws(
      () => buildFieldMappings(header('Last_Name', 'Phone'), { findBy: 'Email' }),
      mismatch('find-by-not-mapped'),
    );
    assert.doesNotThrow(() => buildFieldMappings(header('id', 'Phone'), { findBy: 'id' }));
  });

  it('adds defaults as default_value, on the mapped column when there is one', () => {
    const m = buildFieldMappings(header('Last_Name', 'Lead_Source'), {
      defaults: { Lead_Source: 'Web Download', Rating: 'Active' },
    });
    assert.deepEqual(m, [
      { api_name: 'Last_Name', index: 0 },
      { api_name: 'Lead_Source', index: 1, default_value: { value: 'Web Download' } },
      { api_name: 'Rating', default_value: { value: 'Active' } },
    ]);
  });

  it('refuses a CSV with an empty header row', () => {
    assert.throws(() => buildFieldMappings(header(''), {}), mismatch('empty-header'));
  });
});

describe('reading a CSV stream', () => {
  it('picks the delimiter that occurs most often outside quotes, as Zoho does', () => {
    assert.equal(detectDelimiter('Last_Name;Email;"a,b,c"'), ';');
    assert.equal(detectDelimiter('Last_Name'), ',');
    assert.equal(detectDelimiter('a|b|c'), '|');
  });

  it('reads the header of a stream (BOM, quotes and all) and replays every byte after it', async () => {
    const text = '\uFEFF"Last Name",Email\r\nAda,"a@x.com"\r\n';
    const chunks = [Buffer.from(text.slice(0, 5)), Buffer.from(text.slice(5, 14)), Buffer.from(text.slice(14))];
    const { header: h, stream } = await peekCsvHeader(Readable.from(chunks));
    assert.deepEqual(h, { columns: ['Last Name', 'Email'], delimiter: ',' });
    const replayed: Buffer[] = [];
    for await (const c of stream) replayed.push(c as Buffer);
    assert.equal(Buffer.concat(replayed).toString('utf8'), text);
  });

  it('counts records across chunks, with newlines inside quotes and blank lines', async () => {
    const counter = new CsvCounter();
    const csv = 'A,B\n1,"two\nlines"\n\n3,4\r\n5,6';
    const out: Buffer[] = [];
    for await (const c of Readable.from([Buffer.from(csv.slice(0, 9)), Buffer.from(csv.slice(9))]).pipe(counter))
      out.push(c as Buffer);
    assert.equal(Buffer.concat(out).toString(), csv);
    assert.equal(counter.dataRows, 3);
  });
});
