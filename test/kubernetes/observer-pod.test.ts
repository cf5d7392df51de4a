import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AttemptTokens } from '../../src/executors/kubernetes/attempt-token.js';
import { ObserverEndpoint, type ObserverReport } from '../../src/executors/kubernetes/observer-endpoint.js';

// dist-*/test/kubernetes → dist-*/src/observer/pod/main.js
const observerMain = resolve(fileURLToPath(import.meta.url), '../../../src/observer/pod/main.js');
const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A volume directory standing in for the pod's shared emptyDir. */
function volume(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pontoon-pod-volume-'));
  dirs.push(dir);
  return dir;
}

/** Runs the observer as the container would, with the pod's environment. */
function observer(mode: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [observerMain, mode], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  return { child, exited, stderr: () => stderr };
}

/** Waits until `check` holds (bounded): the sidecar's first heartbeat shows it is ready for TERM. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function controller(input: unknown) {
  const tokens = new AttemptTokens('a-test-secret-of-enough-length');
  const reports: ObserverReport[] = [];
  let heartbeats = 0;
  const ref = { executionId: '5b3f0c1e-0000-4000-8000-000000000001', attempt: 2 };
  let current = true;
  const endpoint = new ObserverEndpoint(tokens, {
    input: () => (current ? input : undefined),
    package: async () => 'gone' as const,
    heartbeat: () => {
      heartbeats++;
      return current;
    },
    report: (_ref, report) => {
      reports.push(report);
      return current;
    },
  });
  const port = await endpoint.listen(0, '127.0.0.1');
  const env = {
    PONTOON_CONTROLLER_URL: `http://127.0.0.1:${port}`,
    PONTOON_ATTEMPT_TOKEN: tokens.issue(ref),
    PONTOON_EXECUTION_ID: ref.executionId,
    PONTOON_ATTEMPT: String(ref.attempt),
  };
  return { endpoint, env, reports, heartbeats: () => heartbeats, retire: () => (current = false) };
}

describe('the observer in a pod (a real process against a real observer endpoint)', () => {
  it('input mode writes the inline input to the shared volume', async () => {
    const dir = volume();
    const run = observer('input', { PONTOON_INPUT: join(dir, 'input.json'), PONTOON_INPUT_JSON: '[1,1000]' });
    assert.equal(await run.exited, 0, run.stderr());
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'input.json'), 'utf8')), [1, 1000]);
  });

  it('input mode fetches a large input from the controller with the attempt token', async () => {
    const big = { numbers: Array.from({ length: 50_000 }, (_, i) => i) };
    const { endpoint, env } = await controller(big);
    try {
      const dir = volume();
      const run = observer('input', { ...env, PONTOON_INPUT: join(dir, 'input.json') });
      assert.equal(await run.exited, 0, run.stderr());
      assert.deepEqual(JSON.parse(readFileSync(join(dir, 'input.json'), 'utf8')), big);
    } finally {
      await endpoint.close();
    }
  });

  it('input mode fails when the token is not the attempt’s', async () => {
    const { endpoint, env } = await controller({ secret: true });
    try {
      const dir = volume();
      const run = observer('input', { ...env, PONTOON_ATTEMPT_TOKEN: 'forged', PONTOON_INPUT: join(dir, 'input.json') });
      assert.equal(await run.exited, 1);
      assert.match(run.stderr(), /HTTP 401/);
    } finally {
      await endpoint.close();
    }
  });

  it('sidecar mode heartbeats, then on SIGTERM reports the output and error files', async () => {
    const { endpoint, env, reports, heartbeats } = await controller(null);
    try {
      const dir = volume();
      const run = observer('sidecar', { ...env, PONTOON_OUTPUT: join(dir, 'output.json'), PONTOON_ERROR: join(dir, 'error.txt'), PONTOON_HEARTBEAT_MS: '100' });
      await until(() => heartbeats() >= 2, 'two heartbeats');
      // The function container writes its result, then ends; the kubelet then sends TERM to the sidecar.
      writeFileSync(join(dir, 'output.json'), JSON.stringify({ primes: [2, 3, 5] }));
      run.child.kill('SIGTERM');
      assert.equal(await run.exited, 0, run.stderr());
      assert.deepEqual(reports, [{ output: '{"primes":[2,3,5]}', outputBytes: 18, error: null, outputRefused: null }]);
    } finally {
      await endpoint.close();
    }
  });

  it('sidecar mode measures but does not send an output past the result limit', async () => {
    const { endpoint, env, reports, heartbeats } = await controller(null);
    try {
      const dir = volume();
      writeFileSync(join(dir, 'output.json'), JSON.stringify('x'.repeat(5000)));
      writeFileSync(join(dir, 'error.txt'), 'too much\n');
      const run = observer('sidecar', { ...env, PONTOON_OUTPUT: join(dir, 'output.json'), PONTOON_ERROR: join(dir, 'error.txt'), PONTOON_RESULT_LIMIT: '1024' });
      await until(() => heartbeats() >= 1, 'a heartbeat');
      run.child.kill('SIGTERM');
      assert.equal(await run.exited, 0, run.stderr());
      assert.deepEqual(reports, [{ output: null, outputBytes: 5002, error: 'too much\n', outputRefused: null }]);
    } finally {
      await endpoint.close();
    }
  });

  it('sidecar mode exits quietly when the controller no longer runs the attempt', async () => {
    const { endpoint, env, retire, heartbeats } = await controller(null);
    try {
      retire();
      const dir = volume();
      const run = observer('sidecar', { ...env, PONTOON_OUTPUT: join(dir, 'output.json'), PONTOON_ERROR: join(dir, 'error.txt') });
      await until(() => heartbeats() >= 1, 'a heartbeat');
      run.child.kill('SIGTERM');
      assert.equal(await run.exited, 0, run.stderr());
      assert.match(run.stderr(), /no longer runs this attempt/);
    } finally {
      await endpoint.close();
    }
  });
});
