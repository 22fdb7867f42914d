import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const DIST_SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Every module a compiled file reaches through static and dynamic imports: local files and packages. */
function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    // Comments may show usage examples ("from 'bulkwrite/client'"): they import nothing.
    const code = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else packages.add(spec.startsWith('node:') ? 'node:' : spec.split('/')[0]!);
    }
  };
  visit(resolve(DIST_SRC, entry));
  return { files, packages };
}

describe('what the client and the client commands load', () => {
  it('bulkwrite/client reaches only its own files, the shared CSV format, node built-ins, yazl, yauzl and papaparse', () => {
    const { files, packages } = importGraph('client/index.js');
    for (const f of files) {
      const path = relative(DIST_SRC, f);
      assert.ok(path.startsWith('client/') || path.startsWith('csv-format/'), `client imports ${path}`);
    }
    assert.deepEqual([...packages].sort(), ['node:', 'papaparse', 'yauzl', 'yazl']);
  });

  it('the client commands of the CLI load no server code', () => {
    const { files, packages } = importGraph('cli/client-commands.js');
    for (const f of files) {
      const path = relative(DIST_SRC, f);
      assert.ok(
        path.startsWith('client/') || path.startsWith('csv-format/') || path.startsWith('cli/'),
        `client commands import ${path}`,
      );
      assert.ok(!path.includes('server-commands') && !path.includes('admin-commands'), path);
    }
    assert.ok(!packages.has('fastify') && !packages.has('better-sqlite3') && !packages.has('pg'));
  });
});
