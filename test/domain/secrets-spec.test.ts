import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PontoonError, type FieldProblem } from '../../src/domain/errors.js';
import { redactSecrets } from '../../src/domain/secret-redaction.js';
import { validateFunctionDocument } from '../../src/domain/validate-spec.js';

function problemsOf(spec: Record<string, unknown>): FieldProblem[] {
  try {
    validateFunctionDocument({ apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name: 'f' }, spec: { runtime: 'command', command: ['true'], ...spec } });
    return [];
  } catch (thrown) {
    assert.ok(thrown instanceof PontoonError);
    return (thrown.details as { problems: FieldProblem[] }).problems;
  }
}
const ref = (name: string, secret = 'db', key = 'password') => ({ name, from: { secret, key } });

describe('spec.secrets', () => {
  it('accepts a variable taken from a key of a secret', () => {
    assert.deepEqual(problemsOf({ secrets: [ref('DB_PASSWORD'), ref('TOKEN', 'api.tokens', 'ci-token_1')] }), []);
  });

  it('refuses names that could leave a secret store’s directory or are no variable', () => {
    const cases: [unknown, string][] = [
      [ref('X', '../etc'), 'spec.secrets[0].from.secret'],
      [ref('X', 'a/b'), 'spec.secrets[0].from.secret'],
      [ref('X', 'db', '..'), 'spec.secrets[0].from.key'],
      [ref('X', 'db', 'a/b'), 'spec.secrets[0].from.key'],
      [ref('1X'), 'spec.secrets[0].name'],
      [ref('A=B'), 'spec.secrets[0].name'],
      [{ name: 'X', from: { secret: 'db' } }, 'spec.secrets[0].from.key'],
    ];
    for (const [secret, field] of cases) assert.deepEqual(problemsOf({ secrets: [secret] }).map((problem) => problem.field), [field], JSON.stringify(secret));
  });

  it('refuses a variable set twice, also set in spec.env, or one of the contract’s', () => {
    const problems = problemsOf({ env: { TOKEN: 'plain' }, secrets: [ref('A'), ref('A'), ref('TOKEN'), ref('PONTOON_INPUT')] });
    assert.deepEqual(problems.map((problem) => problem.field), ['spec.secrets[1].name', 'spec.secrets[2].name', 'spec.secrets[3].name']);
  });
});

describe('secret redaction', () => {
  it('replaces every occurrence, the longer value first, and never looks for an empty one', () => {
    assert.equal(redactSecrets('a=hunter2 b=hunter2x c=hunter2', ['hunter2', 'hunter2x', '']), 'a=[REDACTED] b=[REDACTED] c=[REDACTED]');
    assert.equal(redactSecrets('nothing here', ['']), 'nothing here');
  });
});
