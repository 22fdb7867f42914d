import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDecoder } from '../../src/csv/decode.js';
import { detectDelimiter } from '../../src/csv/read-csv.js';
import { compileDatePattern } from '../../src/domain/date-pattern.js';
import { normaliseValue, uniqueKey } from '../../src/domain/field-values.js';
import type { FieldDef } from '../../src/domain/modules.js';
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
  const cases: Array<[string, string, string | null]> = [
    ['MM/dd/yyyy', '12/31/2024', '2024-12-31'],
    ['yyyy/MM/dd', '2024/02/29', '2024-02-29'],
    ['yyyy/MM/dd', '2023/02/29', null],
    ['dd-MMM-yyyy', '05-Mar-2021', '2021-03-05'],
    ['dd.MM.yy', '05.03.21', '2021-03-05'],
    ["yyyy-MM-dd'T'HH:mm:ss", '2021-03-05T23:59:59', '2021-03-05'],
    ['MM/dd/yyyy hh:mm a', '03/05/2021 12:30 AM', '2021-03-05'],
  ];
  for (const [pattern, input, expected] of cases) {
    it(`reads "${input}" with ${pattern} as ${expected ?? 'invalid'}`, () => {
      const parse = compileDatePattern(pattern)!;
      const d = parse(input);
      assert.equal(
        d ? `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}` : null,
        expected,
      );
    });
  }
  it('reads a 12-hour clock with AM/PM', () => {
    const d = compileDatePattern('hh:mm a')!('12:30 PM')!;
    assert.deepEqual([d.hour, d.minute], [12, 30]);
    assert.equal(compileDatePattern('hh:mm a')!('12:30 AM')!.hour, 0);
  });
  it('refuses patterns with letters it does not know', () => {
    assert.equal(compileDatePattern('yyyy-ww'), null);
    assert.equal(compileDatePattern('no letters?'), null);
  });
});

describe('normaliseValue', () => {
  const ctx = { dateParser: null, offset: '+05:30' };
  const field = (type: FieldDef['type'], extra: Partial<FieldDef> = {}): FieldDef => ({ apiName: 'F', type, ...extra });
  const cases: Array<[FieldDef, string, unknown]> = [
    [field('text', { length: 5 }), 'abcde', 'abcde'],
    [field('text', { length: 5 }), 'abcdef', undefined],
    [field('email'), 'a.b+c@example.co.uk', 'a.b+c@example.co.uk'],
    [field('email'), 'a@b', undefined],
    [field('phone', { length: 30 }), '+1 (555) 010-0000 x12', '+1 (555) 010-0000 x12'],
    [field('phone', { length: 30 }), 'call me', undefined],
    [field('integer'), '-42', -42],
    [field('integer'), '4.2', undefined],
    [field('currency'), '1,234.50', 1234.5],
    [field('percent'), '101', undefined],
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
