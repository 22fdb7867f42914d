import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULTS, loadConfig, SETTINGS } from '../../src/config.js';
import { LOG_LEVELS } from '../../src/log.js';
import { settingsTable, TABLE_END, TABLE_START, withSettingsTable } from '../../src/config-doc.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const DOC = readFileSync(join(REPO, 'docs/configuration.md'), 'utf8');
const VARIABLE = /\bBULKWRITE_[A-Z0-9_]*[A-Z0-9]\b/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

describe('docs/configuration.md', () => {
  it('holds the server settings table as src/config.ts declares it (npm run docs:config rewrites it)', () => {
    assert.ok(DOC.includes(`${TABLE_START}\n${settingsTable()}\n${TABLE_END}`), 'run `npm run docs:config`');
    assert.equal(withSettingsTable(DOC), DOC);
    for (const s of SETTINGS) assert.ok(settingsTable().includes(`| \`${s.env}\` |`), s.env);
  });

  it('names every BULKWRITE_ variable the code reads, and none it does not', () => {
    const inCode = new Set(
      sourceFiles(join(REPO, 'src')).flatMap((f) => readFileSync(f, 'utf8').match(VARIABLE) ?? []),
    );
    const inDoc = new Set(DOC.match(VARIABLE) ?? []);
    assert.ok(inCode.has('BULKWRITE_DEBUG') && inCode.has('BULKWRITE_DATABASE_URL'), 'the scan sees the code');
    assert.deepEqual(
      [...inCode].filter((v) => !inDoc.has(v)),
      [],
      'read by src/ but not documented',
    );
    const testsOnly = new Set(['BULKWRITE_TEST_POSTGRES_URL']);
    assert.deepEqual(
      [...inDoc].filter((v) => !inCode.has(v) && !testsOnly.has(v)),
      [],
      'documented but never read',
    );
  });
});

describe('the server settings', () => {
  it('are declared once each, and every one of them reaches the configuration', () => {
    assert.equal(new Set(SETTINGS.map((s) => s.env)).size, SETTINGS.length);
    const variations: Record<string, string> = {
      BULKWRITE_DC: 'eu',
      BULKWRITE_UPLOAD_ERROR_STATUS: 'observed',
      BULKWRITE_RESULT_COLUMNS: 'all',
      BULKWRITE_CONSOLE: 'false',
      BULKWRITE_WARM_UP: 'false',
      BULKWRITE_TRUSTED_PROXIES: '10.0.0.0/8',
    };
    for (const s of SETTINGS) {
      const raw =
        variations[s.env] ??
        (s.env === 'BULKWRITE_WORKER' ? 'false' : s.env === 'BULKWRITE_LOG_LEVEL' ? 'warn' : '1234');
      assert.notDeepEqual(loadConfig({ [s.env]: raw }), loadConfig({}), `${s.env}=${raw} changes nothing`);
    }
  });

  it('default to the documented values when unset or empty', () => {
    assert.deepEqual(loadConfig({ BULKWRITE_PORT: '', BULKWRITE_LOG_LEVEL: '' }), loadConfig({}));
    assert.equal(DEFAULTS.port, 8080);
    assert.equal(DEFAULTS.logLevel, 'info');
  });

  it("accept pino's log levels for BULKWRITE_LOG_LEVEL and refuse anything else at start", () => {
    for (const level of LOG_LEVELS) assert.equal(loadConfig({ BULKWRITE_LOG_LEVEL: level }).logLevel, level);
    assert.equal(loadConfig({ BULKWRITE_LOG_LEVEL: 'WARN' }).logLevel, 'warn');
    assert.throws(
      () => loadConfig({ BULKWRITE_LOG_LEVEL: 'verbose' }),
      /BULKWRITE_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"/,
    );
  });

  it('refuse a value of the wrong kind, naming the variable', () => {
    assert.throws(() => loadConfig({ BULKWRITE_PORT: '80a' }), /BULKWRITE_PORT must be a whole number/);
    assert.throws(
      () => loadConfig({ BULKWRITE_PORT: '70000' }),
      /BULKWRITE_PORT must be a whole number >= 0 and <= 65535/,
    );
    assert.throws(() => loadConfig({ BULKWRITE_WORKER: 'maybe' }), /BULKWRITE_WORKER must be true or false/);
    assert.throws(
      () => loadConfig({ BULKWRITE_UPLOAD_ERROR_STATUS: 'loud' }),
      /BULKWRITE_UPLOAD_ERROR_STATUS must be one of/,
    );
  });
});
