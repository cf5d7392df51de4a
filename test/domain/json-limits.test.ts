import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkJsonLimits } from '../../src/domain/json-limits.js';

const nested = (levels: number): unknown => JSON.parse('['.repeat(levels) + ']'.repeat(levels));

describe('JSON limits', () => {
  it('counts nesting of arrays and objects; scalars are depth 0', () => {
    assert.equal(checkJsonLimits('text', { maxDepth: 0 }), undefined);
    assert.equal(checkJsonLimits(nested(3), { maxDepth: 3 }), undefined);
    assert.deepEqual(checkJsonLimits(nested(4), { maxDepth: 3 }), { limit: 'depth', max: 3 });
    assert.deepEqual(checkJsonLimits({ a: [{ b: {} }] }, { maxDepth: 3 }), { limit: 'depth', max: 3 });
  });

  it('checks a value of any depth without overflowing the stack', () => {
    assert.deepEqual(checkJsonLimits(nested(200_000), { maxDepth: 100 }), { limit: 'depth', max: 100 });
  });

  it('measures the size JSON.stringify would write, shared values once per place', () => {
    const samples: unknown[] = [{ a: 'é"\n', b: [1, -2.5, true, null], c: {} }, [], 'x', 12, { skipped: undefined, kept: 1 }];
    for (const value of samples) {
      const size = Buffer.byteLength(JSON.stringify(value));
      assert.equal(checkJsonLimits(value, { maxDepth: 10, maxBytes: size }), undefined, JSON.stringify(value));
      assert.deepEqual(checkJsonLimits(value, { maxDepth: 10, maxBytes: size - 1 }), { limit: 'size', max: size - 1 }, JSON.stringify(value));
    }
    const shared = 'x'.repeat(1000);
    assert.deepEqual(checkJsonLimits(Array.from({ length: 50 }, () => shared), { maxDepth: 10, maxBytes: 40_000 }), { limit: 'size', max: 40_000 });
  });

  it('stops at a cycle by its depth', () => {
    const cycle: unknown[] = [];
    cycle.push(cycle);
    assert.deepEqual(checkJsonLimits(cycle, { maxDepth: 100 }), { limit: 'depth', max: 100 });
  });
});
