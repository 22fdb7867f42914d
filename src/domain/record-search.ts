import { uniqueKey } from './field-values.js';
import type { FieldDef, ModuleDef } from './modules.js';
import type { RecordData, RecordValue } from './types.js';

/**
 * Zoho's search criteria, `(Field:operator:value)` groups joined by `and` / `or` inside parentheses, e.g.
 * `((Last_Name:equals:Burns)and(Email:starts_with:b))`. `\(`, `\)` and `\,` escape those characters in a value.
 */
export type Criteria =
  { kind: 'cond'; field: FieldDef; op: Operator; values: string[] } | { kind: 'and' | 'or'; parts: Criteria[] };

export const OPERATORS = ['equals', 'not_equal', 'starts_with', 'in'] as const;
export type Operator = (typeof OPERATORS)[number];

export class CriteriaError extends Error {}

/** Parses a criteria string against a module's fields; CriteriaError says what is wrong. */
export function parseCriteria(module: ModuleDef, text: string): Criteria {
  let at = 0;
  const s = text.trim();
  const fail = (why: string): never => {
    throw new CriteriaError(`${why} at position ${at}`);
  };
  const group = (): Criteria => {
    if (s[at] !== '(') fail('expected (');
    at++;
    if (s[at] === '(') {
      const parts = [group()];
      let kind: 'and' | 'or' | null = null;
      while (s[at] !== ')') {
        const word = /^(and|or)/i.exec(s.slice(at));
        if (!word) fail('expected and / or');
        const k = word![1]!.toLowerCase() as 'and' | 'or';
        if (kind !== null && kind !== k) fail('mixing and / or needs parentheses');
        kind = k;
        at += word![0].length;
        parts.push(group());
      }
      at++;
      return parts.length === 1 ? parts[0]! : { kind: kind!, parts };
    }
    let raw = '';
    while (at < s.length && s[at] !== ')') {
      if (s[at] === '\\' && at + 1 < s.length) {
        raw += s[at + 1] === ',' ? '\u0000' : s[at + 1];
        at += 2;
        continue;
      }
      raw += s[at++];
    }
    if (s[at] !== ')') fail('expected )');
    at++;
    const first = raw.indexOf(':');
    const second = first < 0 ? -1 : raw.indexOf(':', first + 1);
    if (second < 0) fail('expected Field:operator:value');
    const name = raw.slice(0, first).trim();
    const op = raw
      .slice(first + 1, second)
      .trim()
      .toLowerCase();
    const field = module.fields.get(name) ?? fail(`unknown field ${name}`);
    if (!(OPERATORS as readonly string[]).includes(op)) fail(`unsupported operator ${op}`);
    const value = raw.slice(second + 1);
    const values = (op === 'in' ? value.split(',') : [value]).map((v) => v.replaceAll('\u0000', ',').trim());
    return { kind: 'cond', field: field as FieldDef, op: op as Operator, values };
  };
  const tree = group();
  if (at !== s.length) fail('unexpected text after the criteria');
  return tree;
}

/** The criteria `email=` / `phone=` / `word=` stand for: any field of those types, compared as Zoho does. */
export function criteriaForParam(module: ModuleDef, param: 'email' | 'phone' | 'word', value: string): Criteria | null {
  const types =
    param === 'email'
      ? ['email']
      : param === 'phone'
        ? ['phone']
        : ['text', 'textarea', 'email', 'phone', 'website', 'picklist'];
  const parts: Criteria[] = [...module.fields.values()]
    .filter((f) => types.includes(f.type) && !f.apiName.startsWith('$'))
    .map((field) => ({ kind: 'cond', field, op: param === 'word' ? 'starts_with' : 'equals', values: [value] }));
  if (parts.length === 0) return null;
  return parts.length === 1 ? parts[0]! : { kind: 'or', parts };
}

/**
 * The unique-key lookups that answer the criteria exactly, when it is `equals`/`in` on unique fields
 * joined by `or` (the indexed path); null when it needs a scan.
 */
export function indexedKeys(c: Criteria): Array<{ field: string; keys: string[] }> | null {
  if (c.kind === 'cond') {
    if (!c.field.unique || (c.op !== 'equals' && c.op !== 'in')) return null;
    const keys = c.values.map((v) => uniqueKey(v)).filter((k): k is string => k !== null);
    return [{ field: c.field.apiName, keys }];
  }
  if (c.kind === 'and') return null;
  const out: Array<{ field: string; keys: string[] }> = [];
  for (const p of c.parts) {
    const sub = indexedKeys(p);
    if (!sub) return null;
    out.push(...sub);
  }
  return out;
}

function asText(v: RecordValue | undefined): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.map((x) => x.toLowerCase());
  return [String(v).toLowerCase()];
}

/** Whether a stored record matches; text compares without case, as Zoho's search does. */
export function matchesCriteria(c: Criteria, data: RecordData): boolean {
  if (c.kind !== 'cond') {
    return c.kind === 'and'
      ? c.parts.every((p) => matchesCriteria(p, data))
      : c.parts.some((p) => matchesCriteria(p, data));
  }
  const have = asText(data[c.field.apiName]);
  const wanted = c.values.map((v) => v.toLowerCase());
  switch (c.op) {
    case 'equals':
    case 'in':
      return have.some((h) => wanted.includes(h));
    case 'not_equal':
      return !have.some((h) => wanted.includes(h));
    case 'starts_with':
      return have.some((h) => wanted.some((w) => h.startsWith(w)));
  }
}
