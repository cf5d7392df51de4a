import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { writeScript } from '../helpers/pontoon.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Starts `pontoon up` as a real child process and resolves with its URL once it prints it. */
function pontoonUp(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [cli, 'up', '--port', '0', '--data-dir', dataDir, '--lease', '2s', '--grace', '500ms', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`pontoon up printed no URL: ${output}`)), 20_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:\d+/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[0] });
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => reject(new Error(`pontoon up exited with ${code}: ${output}`)));
  });
}

async function json(url: string, init?: RequestInit): Promise<any> {
  const response = await fetch(url, { ...init, headers: { 'content-type': 'application/json' } });
  return response.json();
}

describe('crash safety', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pontoon-crash-'));
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('after kill -9 of the server and a restart, every execution still ends and cut attempts show as lost', async () => {
    const first = await pontoonUp(dataDir);
    children.push(first.child);
    const script = writeScript('echo "working on $PONTOON_EXECUTION_ID"; sleep 1.5; echo "$PONTOON_ATTEMPT" > "$PONTOON_OUTPUT"');
    const document = {
      apiVersion: 'pontoon.dev/v1',
      kind: 'Function',
      metadata: { name: 'work' },
      spec: { runtime: 'command', command: [script], parallelism: 4, retry: { limit: 3, on: ['lost'], backoff: { initial: '100ms', jitter: false } } },
    };
    await json(`${first.url}/v1/namespaces/default/functions/work`, { method: 'PUT', body: JSON.stringify(document) });
    const batch = await json(`${first.url}/v1/namespaces/default/functions/work/batch`, { method: 'POST', body: JSON.stringify({ inputs: Array.from({ length: 10 }, (_, i) => i) }) });
    const ids: string[] = batch.items.map((execution: any) => execution.id);
    assert.equal(ids.length, 10);

    const until = Date.now() + 20_000;
    let running: string[] = [];
    while (running.length < 4 && Date.now() < until) {
      const list = await json(`${first.url}/v1/namespaces/default/executions?status=running`);
      running = list.items.map((execution: any) => execution.id);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(running.length, 4, 'four executions were running when the server was killed');
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    const second = await pontoonUp(dataDir);
    children.push(second.child);
    const deadline = Date.now() + 60_000;
    let executions: any[] = [];
    for (;;) {
      executions = await Promise.all(ids.map((id) => json(`${second.url}/v1/namespaces/default/executions/${id}`)));
      if (executions.every((execution) => ['succeeded', 'failed', 'timed_out', 'cancelled'].includes(execution.status))) break;
      assert.ok(Date.now() < deadline, `executions still not terminal: ${executions.map((e) => e.status).join(',')}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.deepEqual(executions.map((execution) => execution.status), ids.map(() => 'succeeded'));
    for (const execution of executions) {
      const cut = running.includes(execution.id);
      const statuses = execution.attempts.map((attempt: any) => attempt.status);
      if (cut) {
        assert.equal(statuses[0], 'lost', `${execution.id} was cut short: its first attempt is lost`);
        assert.equal(execution.attempts[0].reason, 'LeaseExpired');
        assert.equal(statuses.at(-1), 'succeeded');
      } else {
        assert.deepEqual(statuses, ['succeeded'], `${execution.id} was only queued: it ran once`);
      }
    }
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
  });
});
