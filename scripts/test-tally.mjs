// Counts a node:test run from its event stream, not from any reporter's printed output, and passes the
// events on to the reporter. Node's own closing totals (the root's "tests/pass/fail …" diagnostics) are
// dropped, so the only totals printed are these.
import { Transform } from 'node:stream';

const ROOT_TOTALS = new Set(['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo', 'duration_ms']);

export class TestTally extends Transform {
  passed = 0;
  failed = 0;
  skipped = 0;

  constructor() {
    super({ objectMode: true });
  }

  _transform(event, _encoding, done) {
    const { type, data } = event;
    // node reports a whole file as a test named after the file: as passed when it declares no test, as
    // failed when it fails to load or exits badly.
    const wholeFile = data.name !== undefined && data.name === data.file;
    if (type === 'test:pass' && data.details?.type !== 'suite' && !wholeFile) {
      if (data.skip || data.todo) this.skipped++;
      else this.passed++;
    } else if (type === 'test:fail' && data.details?.error?.failureType !== 'subtestsFailed') {
      // A failed test, a cancelled one, a failed hook, or a whole file. A test or suite that failed only
      // because one of its own tests did is not counted again.
      this.failed++;
    } else if (
      type === 'test:diagnostic' &&
      data.file === undefined &&
      ROOT_TOTALS.has(String(data.message).split(' ')[0])
    ) {
      return done();
    }
    done(null, event);
  }

  /** Nothing failed and at least one test passed. */
  get ok() {
    return this.failed === 0 && this.passed > 0;
  }

  get summary() {
    return `${this.passed} passed, ${this.failed} failed, ${this.skipped} skipped`;
  }
}
