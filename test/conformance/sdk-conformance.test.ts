import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';
import { conformanceFunctions, languages, repoRoot, type Language } from './languages.js';

interface Vector {
  name: string;
  function?: 'default' | 'short';
  input: unknown;
  expect: {
    status: string;
    exitCode?: number | null;
    reason?: string | null;
    result?: unknown;
    resultLength?: number;
    error?: string;
    errorPrefix?: string;
    logs?: { stdout?: string[]; stderr?: string[] };
  };
}

const suite = JSON.parse(readFileSync(join(repoRoot, 'test/conformance/vectors.json'), 'utf8')) as {
  functions: Record<'default' | 'short', Record<string, unknown>>;
  vectors: Vector[];
};

const functionName = (language: Language, kind: 'default' | 'short') => (kind === 'default' ? `conformance-${language}` : `conformance-${language}-short`);

/** Replaces $EXECUTION_ID, $FUNCTION and $VERSION in an expected value with the execution's own. */
function fill(expected: unknown, execution: any): unknown {
  if (typeof expected === 'string') {
    return { $EXECUTION_ID: execution.id, $FUNCTION: execution.function, $VERSION: String(execution.version) }[expected] ?? expected;
  }
  if (Array.isArray(expected)) return expected.map((item) => fill(item, execution));
  if (expected && typeof expected === 'object') return Object.fromEntries(Object.entries(expected).map(([key, value]) => [key, fill(value, execution)]));
  return expected;
}

/** True when `wanted` appears in `lines` in order, other lines allowed between. */
function inOrder(lines: string[], wanted: string[]): boolean {
  let at = 0;
  for (const line of lines) if (at < wanted.length && line === wanted[at]) at++;
  return at === wanted.length;
}

describe('SDK conformance: every vector gives the same behaviour in TypeScript, Python, Java and Go', () => {
  let pontoon: TestPontoon;

  before(async () => {
    pontoon = await startTestPontoon({ capacity: 8 });
    // Each language's two deployments share one source: the second reuses the first one's build.
    await Promise.all(
      languages.map(async (language) => {
        for (const kind of ['default', 'short'] as const) {
          const answer = await pontoon.deploy(functionName(language, kind), { ...conformanceFunctions[language], ...suite.functions[kind], retry: { limit: 0 } });
          assert.ok(answer.status === 200 || answer.status === 201, `deploy of ${language} (${kind}) answered ${answer.status}: ${JSON.stringify(answer.body)}`);
        }
      }),
    );
  });
  after(() => pontoon?.close());

  for (const vector of suite.vectors) {
    it(vector.name, async () => {
      const outcomes = await Promise.all(
        languages.map(async (language) => {
          const name = functionName(language, vector.function ?? 'default');
          const answer = await pontoon.request('POST', `/v1/namespaces/default/functions/${name}/invoke?wait=60s`, JSON.stringify(vector.input), { 'content-type': 'application/json' });
          assert.equal(answer.status, 200, `${language}: invoke answered ${answer.status}: ${JSON.stringify(answer.body)}`);
          const logs = await pontoon.request('GET', `/v1/namespaces/default/executions/${answer.body.id}/logs`);
          return { language, execution: answer.body, lines: logs.body.items as { stream: string; line: string }[] };
        }),
      );
      for (const { language, execution, lines } of outcomes) {
        const expect = vector.expect;
        const attempt = execution.attempts[execution.attempts.length - 1];
        const about = `${language}: ${JSON.stringify({ status: execution.status, error: execution.error, attempt, logs: lines.slice(-10) })}`;
        assert.equal(execution.status, expect.status, about);
        if (expect.exitCode !== undefined) assert.equal(attempt.exitCode, expect.exitCode, about);
        if (expect.reason !== undefined) assert.equal(attempt.reason, expect.reason, about);
        if (expect.error !== undefined) assert.equal(execution.error, expect.error, about);
        if (expect.errorPrefix !== undefined) assert.ok(String(execution.error).startsWith(expect.errorPrefix), about);
        if ('result' in expect) assert.deepEqual(execution.result, fill(expect.result, execution), about);
        if (expect.resultLength !== undefined) assert.equal(String(execution.result).length, expect.resultLength, about);
        for (const stream of ['stdout', 'stderr'] as const) {
          const wanted = expect.logs?.[stream];
          if (!wanted) continue;
          const seen = lines.filter((line) => line.stream === stream).map((line) => line.line);
          assert.ok(inOrder(seen, wanted), `${language}: ${stream} lines ${JSON.stringify(seen)} do not contain ${JSON.stringify(wanted)} in order`);
        }
      }
      // Beyond matching the vector, the four agree with each other on what they report. The exit
      // code is compared only where the vector fixes it: on SIGTERM the JVM exits 143 by itself
      // while the other runtimes die of the signal (null).
      const comparable = outcomes.map(({ execution }) => ({
        status: execution.status,
        error: execution.error,
        exitCode: vector.expect.exitCode === undefined ? 'any' : execution.attempts[execution.attempts.length - 1].exitCode,
        result: vector.input && (vector.input as { action?: string }).action === 'context' ? null : execution.result,
      }));
      for (const other of comparable.slice(1)) assert.deepEqual(other, comparable[0]);
    });
  }
});
