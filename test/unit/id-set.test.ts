import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdSet } from '../../src/jobs/id-set.js';

/** A deterministic stream of numbers in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

describe('IdSet', () => {
  it('agrees with a Set<string> on 200,000 random ids of every length, across its growth', () => {
    const r = rng(7);
    const ids = new IdSet(4);
    const reference = new Set<string>();
    const randomId = () => {
      const len = 1 + Math.floor(r() * 19);
      let s = String(1 + Math.floor(r() * 9));
      while (s.length < len) s += Math.floor(r() * 10);
      return s;
    };
    for (let i = 0; i < 200_000; i++) {
      const id = randomId();
      assert.equal(ids.has(id), reference.has(id), id);
      ids.add(id);
      reference.add(id);
    }
    assert.equal(ids.size, reference.size);
    for (let i = 0; i < 50_000; i++) {
      const id = randomId();
      assert.equal(ids.has(id), reference.has(id), id);
    }
    for (const id of reference) assert.ok(ids.has(id), id);
  });

  it('tells apart ids that share their last 9 digits or the digits before them', () => {
    const ids = new IdSet().add('4000000000000000001').add('4000000001000000001');
    assert.ok(ids.has('4000000000000000001'));
    assert.ok(ids.has('4000000001000000001'));
    assert.ok(!ids.has('4000000002000000001'));
    assert.ok(!ids.has('4000000000000000002'));
    assert.ok(!ids.has('000000001'));
    assert.ok(!ids.has('1'));
  });

  it('holds the largest 19-digit id and zero', () => {
    const ids = new IdSet().add('9999999999999999999').add('0');
    assert.ok(ids.has('9999999999999999999'));
    assert.ok(!ids.has('9999999999999999998'));
    assert.ok(ids.has('0'));
    assert.equal(ids.size, 2);
  });

  it('takes leading zeros as the same id', () => {
    const ids = new IdSet().add('007');
    assert.ok(ids.has('7'));
    assert.ok(ids.has('0000007'));
  });

  it('keeps anything that is not a 1–19 digit id as a string', () => {
    const ids = new IdSet().add('').add('12a').add('-5').add('12345678901234567890');
    for (const id of ['', '12a', '-5', '12345678901234567890']) assert.ok(ids.has(id), id);
    assert.ok(!ids.has('5'));
    assert.ok(!ids.has('1234567890123456789'));
    assert.equal(ids.size, 4);
  });
});
