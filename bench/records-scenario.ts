import Papa from 'papaparse';
import { writePageToken } from '../src/api/page-token.js';
import { leadsRow } from './data.js';
import { ForeignCpu } from './proc.js';
import { importFile, server, withDiagnostics, type BenchContext } from './scenarios.js';
import type { BenchServer } from './server-process.js';
import type { Figures } from './stats.js';
import { median } from './stats.js';

/**
 * `records-api`: the read side on a big module. The million-row insert file is imported into a fresh
 * server, then single requests are timed one after another (keep-alive, nothing else running):
 * page 1 and a deep page (page 5,000 of 200 records at a million) by `page` on v2.1, the same depth by
 * `page_token` on v8, a search by criteria on the unique Email, and `email=`. Each figure is the median
 * of REPEAT requests after two untimed ones; the deep page's first request (which finds the module's
 * page positions, core/record-pages.ts) is given on its own.
 */

const REPEAT = 21;
const PER_PAGE = 200;

async function timed(
  url: string,
  auth: string,
  times: number,
): Promise<{ ms: number[]; status: number; body: string }> {
  const ms: number[] = [];
  let status = 0;
  let body = '';
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    const res = await fetch(url, { headers: { authorization: auth } });
    body = await res.text();
    ms.push(performance.now() - t);
    status = res.status;
  }
  return { ms, status, body };
}

const p95 = (ms: number[]) => [...ms].sort((a, b) => a - b)[Math.min(ms.length - 1, Math.floor(ms.length * 0.95))]!;

/** The Email of generated row i (what the insert file holds). */
const emailOf = (i: number) => (Papa.parse<string[]>(leadsRow(i, 0, '')).data[0] ?? [])[2]!;

export async function recordsApiRun(ctx: BenchContext): Promise<Figures> {
  const zip = await ctx.files.insert();
  const s = await server(ctx);
  try {
    return await withDiagnostics(s, async () => {
      await importFile(ctx, s, zip);
      return measure(ctx, s, zip.rows);
    });
  } finally {
    await s.stop({ graceMs: 15_000 });
  }
}

async function measure(ctx: BenchContext, s: BenchServer, rows: number): Promise<Figures> {
  const auth = s.api.authHeader;
  const base = s.url;
  const foreign = new ForeignCpu([s.pid]);
  const out: Figures = { rows };
  const one = async (name: string, url: string, expect: number) => {
    await timed(url, auth, 2);
    const r = await timed(url, auth, REPEAT);
    if (r.status !== expect) throw new Error(`${name}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
    out[`${name}Ms`] = median(r.ms);
    out[`${name}P95Ms`] = p95(r.ms);
    return r.body;
  };

  // Page 5,000 of a million records, or the last full page but one of a smaller file (so that the
  // page_token request below, for the page after it, has records to answer with).
  const deepPage = Math.max(2, Math.min(5000, Math.floor(rows / PER_PAGE) - 1));
  out.deepPage = deepPage;
  await one('page1', `${base}/crm/v2.1/Leads?page=1&per_page=${PER_PAGE}`, 200);
  // The first deep request after the import finds the module's page positions; timed on its own.
  const deepUrl = `${base}/crm/v2.1/Leads?page=${deepPage}&per_page=${PER_PAGE}`;
  const first = await timed(deepUrl, auth, 1);
  if (first.status !== 200) throw new Error(`deep page: HTTP ${first.status} ${first.body.slice(0, 300)}`);
  out.deepFirstMs = first.ms[0]!;
  const deep = JSON.parse(await one('deep', deepUrl, 200)) as { data: Array<{ id: string }> };
  // The same depth by page_token (v8): a token for the page after the deep one.
  const token = writePageToken({
    orgId: s.api.orgId,
    module: 'Leads',
    afterId: deep.data.at(-1)!.id,
    page: deepPage + 1,
    expiresAt: Date.now() + 3_600_000,
  });
  // Timed whatever it answers (a build before page tokens ignores the parameter and answers page 1).
  const tokenUrl = `${base}/crm/v8/Leads?fields=Last_Name,Email&per_page=${PER_PAGE}&page_token=${token}`;
  await timed(tokenUrl, auth, 2);
  const byToken = await timed(tokenUrl, auth, REPEAT);
  out.tokenMs = median(byToken.ms);
  out.tokenP95Ms = p95(byToken.ms);
  out.tokenStatus = byToken.status;
  const email = emailOf(Math.floor(rows * 0.777));
  const criteria = encodeURIComponent(`(Email:equals:${email})`);
  const found = JSON.parse(await one('searchCriteria', `${base}/crm/v2.1/Leads/search?criteria=${criteria}`, 200)) as {
    data: unknown[];
  };
  if (found.data.length !== 1) throw new Error(`search by Email found ${found.data.length} records`);
  // email= searches every email field of Leads; Secondary_Email is not unique (see README).
  const byParam = await timed(`${base}/crm/v2.1/Leads/search?email=${encodeURIComponent(email)}`, auth, 5);
  out.searchEmailParamMs = median(byParam.ms);
  out.searchEmailParamStatus = byParam.status;
  out.foreignCores = foreign.cores();
  return out;
}
