import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startPontoon } from '../../src/app/start.js';
import { PontoonClient, invokeAndWait } from '../../src/client/index.js';

describe('invokeAndWait against a running Pontoon', () => {
  let dir: string;
  let close: () => Promise<void>;
  let client: PontoonClient;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pontoon-client-'));
    const pontoon = await startPontoon({ port: 0, dataDir: join(dir, 'data'), logLevel: 'silent' });
    close = () => pontoon.close();
    client = new PontoonClient({ url: pontoon.url });
    await client.deployFunction('slow', {
      apiVersion: 'pontoon.dev/v1',
      kind: 'Function',
      metadata: { name: 'slow' },
      spec: { runtime: 'command', command: ['sh', '-c', 'sleep 1.5; echo \'"done"\' > "$PONTOON_OUTPUT"'] },
    });
  });

  after(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('re-attaches to the same execution when a server-side wait runs out, until it ends', async () => {
    const answer = await invokeAndWait(client, 'slow', null, { chunkMs: 300, timeoutMs: 30_000 });
    assert.equal(answer.ended, true);
    assert.equal(answer.execution.status, 'succeeded');
    assert.equal(answer.execution.result, 'done');
    assert.equal(answer.replay, false);
    // Several waits, one execution: the repeats reused the generated idempotency key.
    const page = await client.listExecutions({ function: 'slow' });
    assert.deepEqual(page.items.map((execution) => execution.id), [answer.execution.id]);
  });

  it('stops at its own timeout and answers the execution still going', async () => {
    const answer = await invokeAndWait(client, 'slow', null, { chunkMs: 200, timeoutMs: 500 });
    assert.equal(answer.ended, false);
    assert.ok(['queued', 'running'].includes(answer.execution.status));
    await client.cancelExecution(answer.execution.id);
  });
});
