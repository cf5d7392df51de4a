import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isDone, startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';

// Issue 13's findings, through the API of a server started as root with no --run-as: functions
// ran as root and could read anything the server could.
const isRoot = process.geteuid?.() === 0;
const invoke = (name: string) => `/v1/namespaces/default/functions/${name}/invoke`;

describe('a server started as root runs functions contained', { skip: isRoot ? false : 'needs root: a server that is not root runs functions as itself' }, () => {
  let pontoon: TestPontoon;
  before(async () => {
    // runAs left out: the default as root (the helper's own default is the server's user).
    // /etc a source root: the operator's mistake that containment must still survive.
    pontoon = await startTestPontoon({ runAs: undefined, sourceRoots: ['/etc'] });
  });
  after(async () => pontoon?.close());

  async function runToEnd(name: string, spec: Record<string, unknown>, input: unknown = null) {
    assert.equal((await pontoon.deploy(name, { runtime: 'command', ...spec })).status < 300, true);
    const started = await pontoon.request('POST', invoke(name), input);
    const execution = await pontoon.waitFor(started.body.id, isDone);
    const logs = await pontoon.request('GET', `/v1/namespaces/default/executions/${started.body.id}/logs`);
    return { execution, text: logs.body.items.map((item: { line: string }) => item.line).join('\n') };
  }

  it('denies a command function with source /etc its shadow file', async () => {
    const { execution, text } = await runToEnd('shadow', { source: '/etc', command: ['cat', 'shadow'] });
    assert.equal(execution.status, 'failed');
    // As other users a command runs in a snapshot of its source, which holds only what others may
    // read: shadow is not there. Either way, its content never reaches the function.
    assert.match(text, /shadow: (Permission denied|No such file or directory)/);
    assert.doesNotMatch(text, /^root:/m);
  });

  it('denies a function /etc/shadow by its path', async () => {
    const { execution, text } = await runToEnd('shadow-path', { command: ['cat', '/etc/shadow'] });
    assert.equal(execution.status, 'failed');
    assert.match(text, /shadow: Permission denied/);
  });

  it("denies a function the server's environment in /proc", async () => {
    const { execution, text } = await runToEnd('environ', { command: ['cat', `/proc/${process.pid}/environ`] });
    assert.equal(execution.status, 'failed');
    assert.match(text, /Permission denied/);
    assert.doesNotMatch(text, /PATH=/);
  });

  it("denies a function another running execution's input", async () => {
    assert.ok((await pontoon.deploy('victim', { runtime: 'command', command: ['/bin/sh', '-c', 'echo "input at $PONTOON_INPUT"; sleep 5'] })).status < 300);
    const victim = await pontoon.request('POST', invoke('victim'), { card: '4111-1111-1111-1111' });
    let path: string | undefined;
    for (let tries = 0; tries < 200 && !path; tries++) {
      const logs = await pontoon.request('GET', `/v1/namespaces/default/executions/${victim.body.id}/logs`);
      path = logs.body.items?.map((item: { line: string }) => item.line).find((line: string) => line.startsWith('input at '))?.slice('input at '.length);
      if (!path) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(path, 'the victim said where its input is');
    const { execution, text } = await runToEnd('thief', { command: ['cat', path] });
    assert.equal(execution.status, 'failed');
    assert.match(text, /Permission denied/);
    assert.doesNotMatch(text, /4111/);
    await pontoon.request('POST', `/v1/namespaces/default/executions/${victim.body.id}/cancel`);
  });

  it('keeps the store files 0600 in a data dir 0700', async () => {
    // Something written, so that the WAL and its index exist.
    await runToEnd('noop', { command: ['true'] });
    assert.equal(statSync(pontoon.dataDir).mode & 0o777, 0o700);
    for (const file of ['pontoon.db', 'pontoon.db-wal', 'pontoon.db-shm']) {
      assert.equal((statSync(join(pontoon.dataDir, file)).mode & 0o777).toString(8), '600', file);
    }
  });
});
