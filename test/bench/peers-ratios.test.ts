import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatRatio } from '../../bench/peers/report.js';
import { ratioOf } from '../../bench/peers/summary.js';

describe('bench:peers ratios to the best peer', () => {
  it('reads a peer latency of 0 ms as under the clock’s 1 ms, not as Pontoon never starting', () => {
    const ratio = ratioOf(3, 0, false);
    assert.deepEqual(ratio, { ratio: 1 / 3, qualifier: 'at-most' });
    assert.equal(formatRatio(ratio), '≤0.33× (peer under 1 ms)');
  });

  it('says never started only when Pontoon’s median job never started', () => {
    const ratio = ratioOf(Infinity, 0, false);
    assert.equal(formatRatio(ratio), '0× (never started)');
    assert.equal(formatRatio(ratioOf(Infinity, 12, false)), '0× (never started)');
  });

  it('compares latencies and rates each the right way round', () => {
    assert.equal(formatRatio(ratioOf(0, 0, false)), '1.00×');
    assert.equal(formatRatio(ratioOf(4, 2, false)), '0.50×');
    assert.equal(formatRatio(ratioOf(600, 3_000, true)), '0.20×');
    assert.equal(formatRatio(ratioOf(100, 12_000, true)), '0.0083×');
  });
});
