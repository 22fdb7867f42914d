import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDecoder } from '../../src/csv/decode.js';
import { detectEncoding } from '../../src/csv/detect-encoding.js';
import { detectDelimiter } from '../../src/csv/read-csv.js';
import { compileDatePattern } from '../../src/domain/date-pattern.js';
import { compileNumberFormat } from '../../src/domain/number-format.js';
import { normaliseValue, uniqueKey } from '../../src/domain/field-values.js';
import type { FieldDef } from '../../src/domain/modules.js';
import { parseOrgSchema } from '../../src/domain/org-schema.js';
import { formatErrors } from '../../src/domain/row-plan.js';
import { offsetMinutes, toZohoTime } from '../../src/domain/time.js';

describe('createDecoder', () => {
  it('never splits a UTF-8 character across chunks, whatever the chunk boundaries', () => {
    const text = '\uFEFFname,ünïcødé ✓ 𝄞 日本語\nascii only line\n';
    const bytes = Buffer.from(text, 'utf8');
    for (let size = 1; size <= 7; size++) {
      const decode = createDecoder('UTF-8');
      let out = '';
      for (let i = 0; i < bytes.length; i += size) out += decode(bytes.subarray(i, i + size));
      out += decode(null);
      assert.equal(out, text.slice(1), `chunk size ${size}`);
    }
  });

  it('decodes other encodings through TextDecoder and drops their BOM', () => {
    const decode = createDecoder('windows-1252');
    assert.equal(decode(Buffer.from([0x43, 0x61, 0x66, 0xe9])) + decode(null), 'Café');
    const utf16 = createDecoder('utf-16le');
    assert.equal(utf16(Buffer.from('\uFEFFhi', 'utf16le')) + utf16(null), 'hi');
  });
});

describe('detectEncoding and the decoder’s watch', () => {
  // [what, bytes, detected] (sources: the v8 OpenAPI file and the create-job page: auto-detected when
  // character_encoding is absent; issue 16 item 3 for Latin-1 and UTF-16 with a BOM).
  const cases: Array<[string, Buffer, (name: string) => boolean]> = [
    ['ASCII', Buffer.from('Last_Name\nSmith\n'), (n) => n === 'UTF-8'],
    ['UTF-8', Buffer.from('Last_Name\nMüller\n'), (n) => n === 'UTF-8'],
    ['UTF-8 with a BOM', Buffer.from('\uFEFFLast_Name\n'), (n) => n === 'UTF-8'],
    ['UTF-16LE with a BOM', Buffer.from('\uFEFFLast_Name\n', 'utf16le'), (n) => n === 'UTF-16LE'],
    ['UTF-16BE with a BOM', Buffer.from([0xfe, 0xff, 0, 0x41]), (n) => n === 'UTF-16BE'],
    [
      'Latin-1',
      Buffer.from('Last_Name,City\nM\xfcller,K\xf6ln\nG\xe9rard,Orl\xe9ans\n', 'latin1'),
      (n) => n === 'ISO-8859-1' || n === 'windows-1252',
    ],
  ];
  for (const [what, bytes, check] of cases) {
    it(`detects ${what}`, () => {
      const name = detectEncoding(bytes, true);
      assert.ok(check(name), name);
    });
  }
  it('does not take a UTF-8 sample cut inside a character for another encoding', () => {
    const bytes = Buffer.from('Last_Name\n' + 'Müller\n'.repeat(10), 'utf8');
    assert.equal(detectEncoding(bytes.subarray(0, bytes.indexOf(0xc3) + 1), false), 'UTF-8');
  });
  it('reads "UTF-16" by its byte-order mark, big-endian without one (as Java does)', () => {
    for (const bytes of [Buffer.from('\uFEFFhé', 'utf16le'), Buffer.from([0xfe, 0xff, 0, 0x68, 0, 0xe9])]) {
      const decode = createDecoder('UTF-16');
      let out = '';
      for (const b of bytes) out += decode(Buffer.from([b]));
      assert.equal(out + decode(null), 'hé');
    }
    const decode = createDecoder('utf16');
    assert.equal(decode(Buffer.from([0, 0x68])) + decode(null), 'h');
  });
  it('tells when bytes are not valid in the encoding, and only then', () => {
    const seen = (encoding: string, ...chunks: Buffer[]) => {
      const watch = { invalid: false };
      const decode = createDecoder(encoding, watch);
      for (const c of chunks) decode(c);
      decode(null);
      return watch.invalid;
    };
    const u = Buffer.from('ü', 'utf8');
    assert.equal(seen('UTF-8', Buffer.from('a'), u.subarray(0, 1), u.subarray(1)), false);
    assert.equal(seen('UTF-8', Buffer.from('M\xfcller', 'latin1')), true);
    assert.equal(seen('UTF-8', Buffer.from('ok'), u.subarray(0, 1)), true);
    assert.equal(seen('UTF-8', Buffer.from('literal \uFFFD is text')), false);
    assert.equal(seen('windows-1252', Buffer.from('M\xfcller', 'latin1')), false);
    assert.equal(seen('Shift_JIS', Buffer.from([0x82])), true);
  });
});

describe('detectDelimiter', () => {
  it('picks the delimiter that occurs most outside quotes, comma by default', () => {
    assert.equal(detectDelimiter('a,b,c'), ',');
    assert.equal(detectDelimiter('a;b;c'), ';');
    assert.equal(detectDelimiter('"x,y,z";b;c'), ';');
    assert.equal(detectDelimiter('a|b|c'), '|');
    assert.equal(detectDelimiter('a:b:c'), ':');
    assert.equal(detectDelimiter('Last_Name'), ',');
  });
});

describe('compileDatePattern', () => {
  // The job's creation time: the century window of two-digit years is 1946-12-03 .. 2046-12-02.
  const REF = { year: 2026, month: 12, day: 3, hour: 12, minute: 0, second: 0 };
  const show = (d: ReturnType<ReturnType<typeof compileDatePattern> & object>) =>
    d
      ? `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}` +
        (d.hour || d.minute || d.second ? ` ${d.hour}:${d.minute}:${d.second}` : '') +
        (d.offset ? ` ${d.offset}` : '')
      : null;
  // [pattern, input, expected, source]. Sources: PDF = Zoho's "allowed formats for fields in create bulk
  // write job api"; SDF = Java SimpleDateFormat's documented parsing; I16 = issue 16 item 2; DOC = the
  // create-job page (defaults); B = docs/behaviour.md (a choice where Java and Zoho are silent).
  const cases: Array<[string, string, string | null, string]> = [
    ['MM/dd/yyyy', '12/31/2024', '2024-12-31', 'DOC default'],
    ['MM/dd/yyyy', '2/3/1990', '1990-02-03', 'SDF: a number takes the digits it finds'],
    ['dd/MM/yyyy', '2/3/1990', '1990-03-02', 'I16'],
    ['d/M/yyyy', '2/3/1990', '1990-03-02', 'I16'],
    ['d/M/yyyy', '02/03/1990', '1990-03-02', 'SDF'],
    ['yyyy/MM/dd', '2024/02/29', '2024-02-29', 'SDF'],
    ['yyyy/MM/dd', '2023/02/29', null, 'B: no roll-over'],
    ['MM/dd/yyyy', '13/01/2024', null, 'B: no roll-over'],
    ['dd-MMM-yyyy', '05-Mar-2021', '2021-03-05', 'PDF'],
    ['dd-MMM-yyyy', '05-MAR-2021', '2021-03-05', 'SDF: names without case'],
    ['dd-MMMM-yy', '03-July-96', '1996-07-03', 'PDF'],
    ['MMM dd,yyyy', 'Jul 03,1996', '1996-07-03', 'PDF'],
    ['MMMM dd,yyyy', 'July 03,1996', '1996-07-03', 'PDF'],
    ['MMM dd yyyy', 'July 03 1996', '1996-07-03', 'SDF: MMM reads long names too'],
    ['yy.MM.dd', '96.07.03', '1996-07-03', 'PDF'],
    ['dd.MM.yy', '05.03.21', '2021-03-05', 'SDF window'],
    ['dd.MM.yy', '05.03.46', '2046-03-05', 'SDF window: 20 years after'],
    ['dd.MM.yy', '05.03.47', '1947-03-05', 'SDF window: 80 years before'],
    ['dd.MM.yy', '02.12.46', '2046-12-02', 'SDF window: the day before its end'],
    ['dd.MM.yy', '04.12.46', '1946-12-04', 'SDF window: from its start'],
    ['dd.MM.yy', '03.12.46', '2046-12-03', 'SDF window: its first day before noon is past its end'],
    ['dd.MM.yy', '05.03.2021', '2021-03-05', 'SDF: not two digits, taken literally'],
    ['dd.MM.yyyy', '05.03.21', '0021-03-05', 'SDF: yyyy is literal'],
    ['yyyyMMdd', '19960703', '1996-07-03', 'SDF: abutting fields take their width'],
    ['yyyyMMdd', '1996073', '1996-07-03', 'SDF: the last of an abutting run is greedy'],
    ['yyyyMMdd', '199673', null, 'SDF'],
    ['EEE, dd MMM yyyy', 'Wed, 03 Jul 1996', '1996-07-03', 'I16'],
    ['EEEE dd MMM yyyy', 'Wednesday 03 Jul 1996', '1996-07-03', 'SDF'],
    ['EEE, dd MMM yyyy', 'Mon, 03 Jul 1996', null, 'B: a day name must agree'],
    ["yyyy-MM-dd'T'HH:mm:ss", '2021-03-05T23:59:59', '2021-03-05 23:59:59', 'SDF'],
    ['MM/dd/yyyy HH:mm', '03/05/2021 07:30', '2021-03-05 7:30:0', 'I16: HH:mm without seconds'],
    ['MM/dd/yyyy HH:mm', '03/05/2021 07:30:15', null, 'B: no trailing text'],
    ['MM/dd/yyyy HH:mm:ss', '03/05/2021 07:30', null, 'SDF: the pattern wants seconds'],
    ['MM/dd/yyyy hh:mm a', '03/05/2021 12:30 AM', '2021-03-05 0:30:0', 'SDF'],
    ['MM/dd/yyyy hh:mm a', '03/05/2021 1:05 pm', '2021-03-05 13:5:0', 'SDF'],
    ['MM/dd/yyyy K:mm a', '03/05/2021 0:05 PM', '2021-03-05 12:5:0', 'SDF'],
    ['MM/dd/yyyy kk:mm', '03/05/2021 24:00', '2021-03-05', 'SDF: k is 1-24'],
    ['MM/dd/yyyy HH:mm:ss.SSS', '03/05/2021 10:11:12.345', '2021-03-05 10:11:12', 'SDF'],
    ["yyyy-MM-dd'T'HH:mm:ssZ", '2021-03-05T10:11:12-0800', '2021-03-05 10:11:12 -08:00', 'SDF'],
    ["yyyy-MM-dd'T'HH:mm:ssXXX", '2021-03-05T10:11:12Z', '2021-03-05 10:11:12 +00:00', 'SDF'],
    ['yyyy-MM-dd HH:mm z', '2021-03-05 10:11 GMT+05:30', '2021-03-05 10:11:0 +05:30', 'SDF'],
    ["dd 'de' MMMM yyyy", '03 de July 1996', '1996-07-03', 'SDF quoted literal'],
  ];
  for (const [pattern, input, expected, source] of cases) {
    it(`reads "${input}" with ${pattern} as ${expected ?? 'invalid'} (${source})`, () => {
      const parse = compileDatePattern(pattern, REF)!;
      assert.equal(show(parse(input)), expected);
    });
  }
  it('refuses patterns with letters it does not know', () => {
    assert.equal(compileDatePattern('yyyy-ww'), null);
    assert.equal(compileDatePattern('no letters?'), null);
    assert.equal(compileDatePattern("yyyy-MM-dd 'open"), null);
  });
});

describe('compileNumberFormat', () => {
  const cases: Array<[string, { decimal: string; group: string | null; indian: boolean } | null]> = [
    ['#,##0.00', { decimal: '.', group: ',', indian: false }],
    ['#.##0,00', { decimal: ',', group: '.', indian: false }],
    ['# ##0,00', { decimal: ',', group: ' ', indian: false }],
    ["#'##0.00", { decimal: '.', group: "'", indian: false }],
    ['##,##,##0.00', { decimal: '.', group: ',', indian: true }],
    ['9,999,999.99', { decimal: '.', group: ',', indian: false }],
    ['0.00', { decimal: '.', group: null, indian: false }],
    ['0,00', { decimal: ',', group: null, indian: false }],
    ['#,###', { decimal: '.', group: ',', indian: false }],
    ['#.###.###', { decimal: ',', group: '.', indian: false }],
    ['#', { decimal: '.', group: null, indian: false }],
    ['#,#,##0', null],
    ['#,##0.00.0', null],
    ['$#,##0', null],
    ['', null],
  ];
  for (const [pattern, expected] of cases) {
    it(`reads ${JSON.stringify(pattern)} as ${expected ? JSON.stringify(expected) : 'no format'}`, () => {
      assert.deepEqual(compileNumberFormat(pattern), expected);
    });
  }
});

describe('normaliseValue', () => {
  const ctx = { dateParser: null, offset: '+05:30' };
  const field = (type: FieldDef['type'], extra: Partial<FieldDef> = {}): FieldDef => ({ apiName: 'F', type, ...extra });
  const cases: Array<[FieldDef, string, unknown]> = [
    [field('text', { length: 5 }), 'abcde', 'abcde'],
    [field('text', { length: 5 }), 'abcdef', undefined],
    [field('email'), 'a.b+c@example.co.uk', 'a.b+c@example.co.uk'],
    [field('email'), 'a@b', undefined],
    // Control characters are no part of an address (issue 15 item 6: a NUL passed and was stored).
    [field('email'), 'ada\u0000@example.com', undefined],
    [field('email'), 'ada@exa\u0000mple.com', undefined],
    [field('email'), 'ada@example.com\u0000', undefined],
    [field('email'), 'ada\u0007@example.com', undefined],
    [field('email'), 'ada@example.com\u007f', undefined],
    [field('email'), 'ada\u0085@example.com', undefined],
    [field('email'), 'ädä@exämple.com', 'ädä@exämple.com'],
    [field('phone', { length: 30 }), '+1 (555) 010-0000 x12', '+1 (555) 010-0000 x12'],
    [field('phone', { length: 30 }), 'call me', undefined],
    [field('integer'), '-42', -42],
    [field('integer'), '4.2', undefined],
    [field('currency'), '1,234.50', 1234.5],
    [field('percent'), '101', undefined],
    // Numbers (issue 16 item 1; limits from Zoho's field metadata and Kaizen #103: integer 9 digits,
    // bigint 18, decimal and currency 16 with 2 decimal places, percent 5 with 2).
    [field('currency'), '1.234,56', undefined],
    [field('currency'), '1,23', undefined],
    [field('currency'), '12,34,567.00', undefined],
    [field('currency'), '1234.5678', 1234.57],
    [field('currency'), '0.005', 0.01],
    [field('currency'), '-0.004', 0],
    [field('currency'), '99999999999999.99', undefined],
    [field('currency'), '9999999999999.99', 9999999999999.99],
    [field('currency'), '999999999999999', undefined],
    [field('currency', { decimalPlaces: 0 }), '2.5', 3],
    [field('decimal'), '12345678901234567890', undefined],
    [field('decimal'), '1234.5678', undefined],
    [field('decimal'), '1234.5600', 1234.56],
    [field('decimal'), '1e5', undefined],
    [field('decimal'), '- 5', undefined],
    [field('decimal'), '007.50', 7.5],
    [field('integer'), '999999999', 999999999],
    [field('integer'), '1000000000', undefined],
    [field('integer'), '1,000', 1000],
    [field('integer', { length: 4 }), '12345', undefined],
    [field('bigint'), '999999999999999999', '999999999999999999'],
    [field('bigint'), '1000000000000000000', undefined],
    [field('bigint'), '-0042', '-42'],
    [field('percent'), '12.345', undefined],
    [field('percent'), '99.5', 99.5],
    [field('boolean'), 'TRUE', true],
    [field('boolean'), 'no', false],
    [field('boolean'), 'y', undefined],
    [field('datetime'), '2021-05-11T12:38:29Z', '2021-05-11T12:38:29+00:00'],
    [field('datetime'), '05/11/2021 12:38:29', '2021-05-11T12:38:29+05:30'],
    [field('datetime'), '2021-05-11T25:00:00', undefined],
    [field('multiselectpicklist'), 'a; b;;c', ['a', 'b', 'c']],
    [field('lookup'), '4150868000000002175', '4150868000000002175'],
    [field('lookup'), 'Zylker', undefined],
  ];
  for (const [f, raw, expected] of cases) {
    it(`${expected === undefined ? 'rejects' : 'accepts'} ${JSON.stringify(raw)} for a ${f.type} field`, () => {
      const r = normaliseValue(f, raw, ctx);
      if (expected === undefined) assert.equal(r.ok, false);
      else assert.deepEqual(r, { ok: true, value: expected });
    });
  }
  // [format, cell, field type, stored value or undefined for INVALID_DATA]
  const formatted: Array<[string, string, FieldDef['type'], unknown]> = [
    ['#.##0,00', '1.234,56', 'currency', 1234.56],
    ['#.##0,00', '1234,56', 'currency', 1234.56],
    ['#.##0,00', '1,234.56', 'currency', undefined],
    ['#.##0,00', '1.23,56', 'currency', undefined],
    ['# ##0,00', '1 234 567,5', 'decimal', 1234567.5],
    ['# ##0,00', '1\u00a0234,5', 'decimal', 1234.5],
    ["#'##0.00", "12'345.10", 'currency', 12345.1],
    ['##,##,##0.00', '12,34,567.25', 'currency', 1234567.25],
    ['##,##,##0.00', '1,234,567.25', 'currency', undefined],
    ['0.00', '1,234.00', 'currency', undefined],
    ['0,00', '12,5', 'percent', 12.5],
    ['#.###.###', '1.000.000', 'integer', 1000000],
    ['#.###.###', '1,5', 'integer', undefined],
    ['#.###', '1.000', 'integer', 1], // '.' once is the decimal point: exactly 1
  ];
  for (const [format, raw, type, expected] of formatted) {
    it(`${expected === undefined ? 'rejects' : 'accepts'} ${JSON.stringify(raw)} for a ${type} field with format ${format}`, () => {
      const r = normaliseValue(field(type), raw, { ...ctx, numberFormat: compileNumberFormat(format)! });
      if (expected === undefined) assert.equal(r.ok, false);
      else assert.deepEqual(r, { ok: true, value: expected });
    });
  }
  it('compares unique keys without case or surrounding space', () => {
    assert.equal(uniqueKey(' Ada@Example.com '), 'ada@example.com');
    assert.equal(uniqueKey(''), null);
  });
});

describe('formatErrors and toZohoTime', () => {
  it('joins the fields of a code with commas and codes with colons, as Zoho documents', () => {
    const errors = new Map([
      ['MANDATORY_NOT_FOUND', ['Company', 'Last_Name']],
      ['DUPLICATE_DATA', ['Email']],
    ]);
    assert.equal(formatErrors(errors), 'MANDATORY_NOT_FOUND-Company,Last_Name:DUPLICATE_DATA-Email');
  });
  it('writes times with the org’s UTC offset at second precision', () => {
    const ms = Date.UTC(2021, 4, 11, 7, 8, 29, 900);
    assert.equal(toZohoTime(ms, 'UTC'), '2021-05-11T07:08:29+00:00');
    assert.equal(toZohoTime(ms, 'Asia/Kolkata'), '2021-05-11T12:38:29+05:30');
    assert.equal(toZohoTime(ms, 'America/New_York'), '2021-05-11T03:08:29-04:00');
  });
  it('gives Intl’s offset at every minute around transitions, however the offsets were cached before', () => {
    const formats = new Map<string, Intl.DateTimeFormat>();
    const format = (zone: string) =>
      formats.get(zone) ??
      formats
        .set(
          zone,
          new Intl.DateTimeFormat('en-US', {
            timeZone: zone,
            hourCycle: 'h23',
            year: 'numeric',
            month: '2-digit',
            day: '2-digit',
            hour: '2-digit',
            minute: '2-digit',
            second: '2-digit',
          }),
        )
        .get(zone)!;
    const reference = (zone: string, ms: number) => {
      const parts = format(zone).formatToParts(new Date(ms));
      const n = (type: string) => Number(parts.find((p) => p.type === type)!.value);
      const asUtc = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
      return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
    };
    // Transitions on the hour, at :30 and :15 UTC, 30-minute DST, and a local mean time with seconds.
    const transitions: Array<[string, number]> = [
      ['America/New_York', Date.UTC(2021, 2, 14, 7)],
      ['Australia/Lord_Howe', Date.UTC(2021, 3, 3, 15)],
      ['Australia/Lord_Howe', Date.UTC(2021, 9, 2, 15, 30)],
      ['Asia/Kathmandu', Date.UTC(1985, 11, 31, 18, 30)],
      ['America/St_Johns', Date.UTC(2021, 2, 14, 5, 30)],
      ['Europe/Amsterdam', Date.UTC(1937, 6, 1)],
      ['Asia/Kolkata', Date.UTC(1941, 9, 1)],
    ];
    for (const [zone, at] of transitions) {
      const minutes = Array.from({ length: 4 * 60 + 1 }, (_, i) => at - 2 * 3_600_000 + i * 60_000 + 999);
      for (const order of [minutes, [...minutes].reverse()]) {
        for (const ms of order) assert.equal(offsetMinutes(zone, ms), reference(zone, ms), `${zone} at ${ms}`);
      }
    }
  });
});

describe('number fields of a custom schema', () => {
  const schema = (fields: unknown[]) => parseOrgSchema({ fields: { Leads: fields } }, 'values-test').catalogue;
  it('take length (digits) and decimal_place from the schema, as Zoho’s field metadata gives them', () => {
    const leads = schema([
      { api_name: 'Rate', data_type: 'currency', length: 10, decimal_place: 3 },
      { api_name: 'Seats', data_type: 'integer', length: 4 },
    ]).find({ apiName: 'Leads' })!;
    const ctx = { dateParser: null, offset: '+00:00' };
    assert.deepEqual(normaliseValue(leads.fields.get('Rate')!, '1.23456', ctx), { ok: true, value: 1.235 });
    assert.deepEqual(normaliseValue(leads.fields.get('Rate')!, '1234567.1', ctx), { ok: true, value: 1234567.1 });
    assert.equal(normaliseValue(leads.fields.get('Rate')!, '12345678.1', ctx).ok, false);
    assert.deepEqual(normaliseValue(leads.fields.get('Seats')!, '9999', ctx), { ok: true, value: 9999 });
    assert.equal(normaliseValue(leads.fields.get('Seats')!, '10000', ctx).ok, false);
  });
  it('refuse limits Zoho does not allow', () => {
    assert.throws(() => schema([{ api_name: 'N', data_type: 'integer', length: 10 }]), /length/);
    assert.throws(() => schema([{ api_name: 'N', data_type: 'text', decimal_place: 2 }]), /decimal_place/);
    assert.throws(() => schema([{ api_name: 'N', data_type: 'double', decimal_place: 10 }]), /decimal_place/);
  });
});
