import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import semver from 'semver';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const read = (file: string) => JSON.parse(readFileSync(REPO + file, 'utf8')) as Record<string, unknown>;

interface Locked {
  engines?: { node?: string } | string[];
  dev?: boolean;
}

it('installs on Node 20 without an engine warning: every locked package accepts Node 20', () => {
  const floor = semver.minVersion((read('package.json').engines as { node: string }).node)!;
  assert.equal(floor.major, 20);
  const current = process.versions.node;
  const refusing: string[] = [];
  for (const [path, pkg] of Object.entries(read('package-lock.json').packages as Record<string, Locked>)) {
    const range = Array.isArray(pkg.engines) ? undefined : pkg.engines?.node;
    if (path === '' || !range) continue;
    // npm warns (EBADENGINE) when the running Node is outside the range; the app itself must run on the floor.
    const ok = semver.intersects(range, '20.x') && (semver.major(current) !== 20 || semver.satisfies(current, range));
    if (!ok || (!pkg.dev && !semver.satisfies(floor, range))) refusing.push(`${path} (node ${range})`);
  }
  assert.deepEqual(refusing, [], 'an "overrides" entry in package.json can pin a version that supports Node 20');
});
