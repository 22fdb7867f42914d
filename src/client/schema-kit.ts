/**
 * A very small schema kit: each schema is both a runtime check and, through `Infer`, the TypeScript
 * type. The wire shapes in schema.ts are written once with it, so types and checks cannot drift.
 * Objects keep keys they do not know (Zoho adds keys over versions) and keep the order they came in.
 */

export class SchemaError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(`${path}: expected ${expected}, got ${describe(actual)}`);
    this.name = 'SchemaError';
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

export interface Schema<T> {
  readonly expected: string;
  readonly optional?: boolean;
  parse(value: unknown, path?: string): T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function schema<T>(expected: string, check: (value: unknown, path: string) => T): Schema<T> {
  return { expected, parse: (value, path = '$') => check(value, path) };
}

export const string = (): Schema<string> =>
  schema('a string', (v, path) => {
    if (typeof v !== 'string') throw new SchemaError(path, 'a string', v);
    return v;
  });

/** Any string is accepted (Zoho adds values), but the known ones show up in editors. */
export const knownString = <const T extends readonly string[]>(_known: T): Schema<T[number] | (string & {})> =>
  string() as Schema<T[number] | (string & {})>;

/** Exactly one of the values; for requests, where a wrong value must fail before it is sent. */
export const oneOf = <const T extends readonly (string | boolean | number)[]>(values: T): Schema<T[number]> => {
  const expected = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return schema(expected, (v, path) => {
    if (!values.includes(v as T[number])) throw new SchemaError(path, expected, v);
    return v as T[number];
  });
};

export const number = (): Schema<number> =>
  schema('a number', (v, path) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new SchemaError(path, 'a number', v);
    return v;
  });

export const integer = (): Schema<number> =>
  schema('a whole number', (v, path) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new SchemaError(path, 'a whole number', v);
    return v;
  });

/** A count: a number, or a string of digits as some clients send (the SDK itself uses parseInt). */
export const count = (): Schema<number> =>
  schema('a count', (v, path) => {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
    if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
    throw new SchemaError(path, 'a count', v);
  });

export const boolean = (): Schema<boolean> =>
  schema('true or false', (v, path) => {
    if (typeof v !== 'boolean') throw new SchemaError(path, 'true or false', v);
    return v;
  });

/**
 * A Zoho id: a string of decimal digits (19 of them in practice). A JSON number is accepted and turned
 * into its string, so callers always get a string (numbers above 2^53 have already lost digits).
 */
export const id = (): Schema<string> =>
  schema('an id (a string of digits)', (v, path) => {
    if (typeof v === 'string' && /^\d+$/.test(v)) return v;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
    throw new SchemaError(path, 'an id (a string of digits)', v);
  });

export const unknown = (): Schema<unknown> => schema('anything', (v) => v);

export const record = (): Schema<Record<string, unknown>> =>
  schema('an object', (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SchemaError(path, 'an object', v);
    return v as Record<string, unknown>;
  });

export const nullable = <T>(inner: Schema<T>): Schema<T | null> =>
  schema(`${inner.expected} or null`, (v, path) => (v === null ? null : inner.parse(v, path)));

/** Marks an object key as optional: it may be absent (or undefined). */
export const optional = <T>(inner: Schema<T>): Schema<T | undefined> & { optional: true } => ({
  expected: inner.expected,
  optional: true,
  parse: (v, path = '$') => (v === undefined ? undefined : inner.parse(v, path)),
});

export const array = <T>(item: Schema<T>): Schema<T[]> =>
  schema(`an array of ${item.expected}`, (v, path) => {
    if (!Array.isArray(v)) throw new SchemaError(path, `an array`, v);
    return v.map((x, i) => item.parse(x, `${path}[${i}]`));
  });

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOf<S extends Shape> = Simplify<
  { [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined> }
>;

export const object = <S extends Shape>(shape: S): Schema<ObjectOf<S>> =>
  schema('an object', (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SchemaError(path, 'an object', v);
    const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    for (const [key, field] of Object.entries(shape)) {
      const value = field.parse((v as Record<string, unknown>)[key], `${path}.${key}`);
      if (value === undefined) delete out[key];
      else out[key] = value;
    }
    return out as ObjectOf<S>;
  });
