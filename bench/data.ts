import yazl from 'yazl';
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';

/**
 * Generated Leads files. Row i always carries the same unique Email, so a file that starts at row
 * 500,000 matches half of a million-row file that starts at row 0. Other cells depend on the
 * variant, so an upsert really changes the records it matches.
 */

export const LEADS_COLUMNS = [
  'Last_Name',
  'First_Name',
  'Email',
  'Company',
  'Phone',
  'Mobile',
  'Lead_Source',
  'Industry',
  'City',
  'State',
  'Country',
  'Description',
] as const;

const FIRST = ['James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth'];
const FIRST_MORE = ['Aarav', 'Chloé', 'Sofía', 'Łukasz', 'Yuki', 'Priya', 'Mateo', 'Olga', 'Kwame', 'Ingrid'];
const LAST = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez'];
const LAST_MORE = ['Nguyen', 'Müller', 'Kowalski', 'Tanaka', 'Okafor', 'Patel', 'Rossi', 'Silva', 'Dubois', 'Kim'];
const COMPANY_WORDS = [
  'Acme',
  'Globex',
  'Initech',
  'Umbrella',
  'Hooli',
  'Vandelay',
  'Stark',
  'Wayne',
  'Tyrell',
  'Soylent',
];
const COMPANY_KIND = ['Inc.', 'LLC', 'Ltd', 'GmbH', 'Corp', 'Group', 'Holdings', 'Partners'];
const SOURCES = [
  'Advertisement',
  'Cold Call',
  'Employee Referral',
  'Online Store',
  'Partner',
  'Trade Show',
  'Web Download',
];
const INDUSTRIES = [
  'Large Enterprise',
  'ManagementISV',
  'Service Provider',
  'Small/Medium Enterprise',
  'Systems Integrator',
];
const PLACES = [
  ['Austin', 'TX', 'United States'],
  ['Chennai', 'Tamil Nadu', 'India'],
  ['München', 'Bayern', 'Germany'],
  ['Toronto', 'ON', 'Canada'],
  ['Sydney', 'NSW', 'Australia'],
  ['São Paulo', 'SP', 'Brazil'],
  ['Osaka', 'Osaka', 'Japan'],
  ['Leeds', 'West Yorkshire', 'United Kingdom'],
] as const;
const WORDS = ['asked', 'for', 'a', 'demo', 'pricing', 'renewal', 'call', 'back', 'next', 'week', 'budget', 'approved'];

/** A small deterministic generator (mulberry32), seeded per row so any slice of the file can be regenerated. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
const digits = (r: () => number, n: number) => {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(r() * 10);
  return s;
};
const quote = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export interface LeadsFile {
  /** First row number (0-based) of the generated range; it decides the Emails. */
  from: number;
  rows: number;
  /** Changes the non-unique cells, so an upsert of the same range updates the records. */
  variant?: number;
  /** Part of every Email's domain, so files for different runs against one database never collide. */
  tag?: string;
}

export function leadsRow(i: number, variant: number, tag: string): string {
  // The person (and so the Email) depends on the row only; the other cells on the variant too.
  const who = rng(i * 7919 + 17);
  const first = who() < 0.1 ? pick(who, FIRST_MORE) : pick(who, FIRST);
  const last = who() < 0.1 ? pick(who, LAST_MORE) : pick(who, LAST);
  const r = rng(i * 7919 + variant * 104729 + 31);
  const [city, state, country] = pick(r, PLACES);
  const company = `${pick(r, COMPANY_WORDS)} ${pick(r, COMPANY_WORDS)}${r() < 0.3 ? `, ${pick(r, COMPANY_KIND)}` : ''}`;
  let description = '';
  const words = 4 + Math.floor(r() * 12);
  for (let w = 0; w < words; w++) description += (w === 0 ? '' : w % 5 === 4 ? ', ' : ' ') + pick(r, WORDS);
  if (r() < 0.05) description += ' "urgent"';
  const email = `${first}.${last}.${i}@${tag}example.com`.toLowerCase();
  return [
    last,
    first,
    email,
    company,
    `+1 ${digits(r, 3)}-${digits(r, 3)}-${digits(r, 4)}`,
    `+1 ${digits(r, 3)}-${digits(r, 3)}-${digits(r, 4)}`,
    pick(r, SOURCES),
    pick(r, INDUSTRIES),
    city,
    state,
    country,
    description,
  ]
    .map(quote)
    .join(',');
}

function* csvChunks(spec: LeadsFile): Generator<Buffer> {
  const variant = spec.variant ?? 0;
  const tag = spec.tag ? `${spec.tag}.` : '';
  yield Buffer.from(`${LEADS_COLUMNS.join(',')}\r\n`);
  const end = spec.from + spec.rows;
  for (let i = spec.from; i < end;) {
    const stop = Math.min(end, i + 2000);
    let text = '';
    for (; i < stop; i++) text += `${leadsRow(i, variant, tag)}\r\n`;
    yield Buffer.from(text, 'utf8');
  }
}

export interface GeneratedZip {
  path: string;
  rows: number;
  zipBytes: number;
  csvBytes: number;
  ms: number;
}

/** Writes a zip (deflate, as Zoho's users make them) holding one CSV of generated Leads. */
export async function writeLeadsZip(path: string, spec: LeadsFile, csvName = 'Leads.csv'): Promise<GeneratedZip> {
  const started = Date.now();
  let csvBytes = 0;
  const source = Readable.from(
    (function* () {
      for (const chunk of csvChunks(spec)) {
        csvBytes += chunk.length;
        yield chunk;
      }
    })(),
  );
  const zip = new yazl.ZipFile();
  zip.addReadStream(source, csvName, { compress: true, mtime: new Date(Date.UTC(2024, 0, 1)) });
  zip.end();
  const out = createWriteStream(path);
  zip.outputStream.pipe(out);
  await finished(out);
  return { path, rows: spec.rows, zipBytes: (await stat(path)).size, csvBytes, ms: Date.now() - started };
}
