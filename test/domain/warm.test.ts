import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FunctionVersion } from '../../src/domain/function-spec.js';
import { validateFunctionDocument } from '../../src/domain/validate-spec.js';
import { warmSettings } from '../../src/domain/warm.js';

function version(spec: Record<string, unknown>): FunctionVersion {
  const document = validateFunctionDocument({ apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name: 'f' }, spec: { source: '/src', ...spec } });
  return { namespace: 'default', name: 'f', version: 1, document, createdAt: '2026-12-04T00:00:00.000Z' };
}

const warm = { max: 2, concurrency: 4 };

describe('warmSettings: which functions go to warm replicas', () => {
  it('a handler of every SDK runtime is warm with warm.max >= 1', () => {
    for (const [runtime, handler] of [['node', 'fn.handler'], ['python', 'fn.handler'], ['java', 'ex.Fn'], ['go', './cmd/fn']]) {
      assert.equal(warmSettings(version({ runtime, handler, warm }))?.concurrency, 4, runtime);
    }
  });

  it('a Go function without handler is warm too: its package is the source root, its form is read at build', () => {
    assert.equal(warmSettings(version({ runtime: 'go', warm }))?.max, 2);
  });

  it('node and python without handler (programs) stay on demand, as does any function without warm or with warm.max 0', () => {
    assert.equal(warmSettings(version({ runtime: 'node', warm })), undefined);
    assert.equal(warmSettings(version({ runtime: 'python', warm })), undefined);
    assert.equal(warmSettings(version({ runtime: 'python', handler: 'fn.handler' })), undefined);
    assert.equal(warmSettings(version({ runtime: 'java', handler: 'ex.Fn', warm: { max: 0 } })), undefined);
  });
});
