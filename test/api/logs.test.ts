import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestPontoon, writeScript } from '../helpers/pontoon.js';

describe('live log streams', () => {
  it('end when the server stops, so a follower never holds a shutdown', async () => {
    const pontoon = await startTestPontoon();
    const script = writeScript('echo begin; sleep 60');
    await pontoon.deploy('endless', { runtime: 'command', command: [script] });
    const invoked = await pontoon.request('POST', '/v1/namespaces/default/functions/endless/invoke', null);
    await pontoon.waitFor(invoked.body.id, (execution) => execution.status === 'running');
    const response = await fetch(`${pontoon.url}/v1/namespaces/default/executions/${invoked.body.id}/logs?follow=true`);
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.match(first, /event: log/);
    const closed = pontoon.close().then(() => 'closed');
    const stuck = new Promise<string>((resolve) => setTimeout(resolve, 30_000, 'still open').unref());
    assert.equal(await Promise.race([closed, stuck]), 'closed', 'the server stopped while the execution was still running');
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read());
  });
});
