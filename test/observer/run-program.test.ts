import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runProgram, type ProgramOptions } from '../../src/observer/run-program.js';
import type { LogLine } from '../../src/store/store.js';

const root = mkdtempSync(join(tmpdir(), 'pontoon-observer-'));
after(() => rmSync(root, { recursive: true, force: true }));

let next = 0;
function options(command: string[], extra: Partial<ProgramOptions> = {}): ProgramOptions & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  next += 1;
  return {
    workDir: join(root, `attempt-${next}`),
    command,
    identity: { executionId: `exec-${next}`, attempt: 1, namespace: 'default', function: 'probe', version: 7 },
    input: { hello: 'world' },
    deadline: new Date(Date.now() + 60_000),
    timeout: '1m',
    graceMs: 200,
    logLimitBytes: 65_536,
    resultLimitBytes: 65_536,
    onLogs: (batch) => lines.push(...batch),
    lines,
    ...extra,
  };
}

describe('runProgram (the observer core)', () => {
  it('writes input.json into the work dir it creates and leaves the dir to its owner', async () => {
    const run = options(['/bin/sh', '-c', 'cat "$PONTOON_INPUT"; echo; echo "$PONTOON_DEADLINE $PONTOON_VERSION"']);
    const report = await runProgram(run).report;
    assert.equal(report?.status, 'succeeded');
    assert.deepEqual(JSON.parse(readFileSync(join(run.workDir, 'input.json'), 'utf8')), { hello: 'world' });
    assert.deepEqual(run.lines.map((line) => line.line), ['{"hello":"world"}', `${run.deadline.toISOString()} 7`]);
    assert.ok(existsSync(run.workDir));
  });

  it('applies spec.env, then the launch plan env, then the contract variables', async () => {
    const run = options(['/bin/sh', '-c', 'echo "$A $B $PONTOON_FUNCTION"'], {
      baseEnv: { PATH: process.env.PATH, A: 'base', B: 'base' },
      functionEnv: { A: 'function', B: 'function', PONTOON_FUNCTION: 'spoofed' },
      planEnv: { B: 'plan' },
    });
    await runProgram(run).report;
    assert.deepEqual(run.lines.map((line) => line.line), ['function plan probe']);
  });

  it('sends no report for a stopped program, but keeps the lines it printed', async () => {
    const run = options(['/bin/sh', '-c', 'echo started; sleep 30']);
    const handle = runProgram(run);
    for (let i = 0; i < 200 && run.lines.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await handle.stop();
    assert.equal(await handle.report, undefined);
    assert.deepEqual(run.lines.map((line) => line.line), ['started']);
  });

  it('reports a missing working directory as StartFailed', async () => {
    const run = options(['/bin/true'], { cwd: join(root, 'no-such-dir') });
    const report = await runProgram(run).report;
    assert.equal(report?.reason, 'StartFailed');
    assert.match(report?.error ?? '', /working directory .*no-such-dir does not exist/);
  });
});
