import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import madge from 'madge';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** madge over TypeScript sources, type-only imports included (an `import type` circle is a circle too). */
function importGraph(dir: string) {
  return madge(dir, {
    fileExtensions: ['ts'],
    tsConfig: join(ROOT, 'tsconfig.json'),
    detectiveOptions: { ts: { skipTypeImports: false } },
  });
}

/** The rule ids the project's lint reports for `file` (under src/) with `code` added at its top. */
async function lintWithImport(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const text = `${code}\n${readFileSync(join(ROOT, file), 'utf8')}`;
  const [result] = await eslint.lintText(text, { filePath: join(ROOT, file) });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('imports point one way', () => {
  it('src/ has no import cycle, type-only imports included', async () => {
    const graph = await importGraph(join(ROOT, 'src'));
    assert.ok(Object.keys(graph.obj()).length > 50, 'madge read the sources');
    assert.deepEqual(graph.warnings().skipped, [], 'every import resolved');
    assert.deepEqual(graph.circular(), []);
  });

  it('the cycle check sees a circle made of type-only imports', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkwrite-cycle-'));
    try {
      writeFileSync(join(dir, 'a.ts'), "import type { B } from './b.js';\nexport interface A { b?: B }\n");
      writeFileSync(join(dir, 'b.ts'), "import type { A } from './a.js';\nexport interface B { a?: A }\n");
      assert.deepEqual((await importGraph(dir)).circular(), [['a.ts', 'b.ts']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the lint refuses an import from a higher layer, naming the rule broken', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['src/domain/time.ts', "import type { Storage } from '../storage/storage.js';", /domain\/ imports only/],
      ['src/api/wire.ts', "import { RESULT_COLUMNS } from '../jobs/result-file.js';", /api\/ and jobs\//],
      ['src/jobs/worker.ts', "import { toJobDetails } from '../api/wire.js';", /api\/ and jobs\//],
      ['src/jobs/id-set.ts', "import { openStorage } from '../storage/open-storage.js';", /never an adapter/],
      ['src/client/mapping.ts', "import { detectDelimiter } from '../csv/read-csv.js';", /never server code/],
      ['src/cli/client/summary.ts', "import { configFrom } from '../server/server-commands.js';", /no cli\/server/],
      ['src/server.ts', "import { EXIT } from './cli/exit-codes.js';", /Nothing imports cli\//],
    ];
    for (const [file, line, message] of cases) {
      const messages = await lintWithImport(file, line);
      assert.ok(
        messages.some((m) => m.startsWith('import-x/no-restricted-paths') && message.test(m)),
        `${file} ← ${line}: ${messages.join('; ')}`,
      );
    }
  });

  it('the lint refuses an import that closes a cycle', async () => {
    // field-values.ts imports date-pattern.ts; date-pattern.ts importing field-values.ts closes a circle.
    const messages = await lintWithImport('src/domain/date-pattern.ts', "import './field-values.js';");
    assert.ok(
      messages.some((m) => m.startsWith('import-x/no-cycle')),
      messages.join('; '),
    );
  });

  it('the lint refuses a promise nobody awaits or catches, even behind void', async () => {
    // lintText with the file's own path gives the type-aware rules the project's types.
    for (const line of [
      'export function later(p: Promise<void>): void { p.then(() => undefined); }',
      'export function later(p: Promise<void>): void { void p; }',
    ]) {
      const messages = await lintWithImport('src/jobs/id-set.ts', line);
      assert.ok(
        messages.some((m) => m.startsWith('@typescript-eslint/no-floating-promises')),
        `${line}: ${messages.join('; ')}`,
      );
    }
    const handled = await lintWithImport(
      'src/jobs/id-set.ts',
      'export function later(p: Promise<void>): void { p.catch(() => undefined); }',
    );
    assert.deepEqual(handled, []);
  });

  it('the lint passes the sources as they are', async () => {
    const messages = await lintWithImport('src/domain/date-pattern.ts', '');
    assert.deepEqual(messages, []);
  });
});
