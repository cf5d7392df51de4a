import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';

const value = 'tok-5ecr3t-7f9a1c';
const secrets = [{ name: 'API_TOKEN', from: { secret: 'payments', key: 'token' } }];

describe('spec.secrets from a files secret store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pontoon-secrets-'));
  const secretFile = join(dir, 'store', 'payments', 'token');
  let pontoon: TestPontoon;
  before(async () => {
    mkdirSync(join(dir, 'store', 'payments'), { recursive: true });
    writeFileSync(secretFile, value, { mode: 0o600 });
    pontoon = await startTestPontoon({ secretStore: `files:${join(dir, 'store')}` });
  });
  after(async () => {
    await pontoon?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const invoke = (name: string) => pontoon.request('POST', `/v1/namespaces/default/functions/${name}/invoke?wait=30s`, {});
  const text = async (path: string) => JSON.stringify((await pontoon.request('GET', path)).body);

  it('gives the function its secret as a variable, and shows [REDACTED] wherever the function printed it', async () => {
    const script = 'echo "token is $API_TOKEN"; echo "err $API_TOKEN" >&2; printf \'{"length": %s}\' "${#API_TOKEN}" > "$PONTOON_OUTPUT"';
    assert.equal((await pontoon.deploy('pay', { runtime: 'command', command: ['/bin/sh', '-c', script], secrets })).status, 201);
    const { body: execution } = await invoke('pay');
    assert.equal(execution.status, 'succeeded', JSON.stringify(execution));
    assert.deepEqual(execution.result, { length: value.length }, 'the value reached the function whole');
    const logs = (await pontoon.request('GET', `/v1/namespaces/default/executions/${execution.id}/logs`)).body;
    const lines = logs.items.map((line: any) => line.line);
    assert.ok(lines.includes('token is [REDACTED]'), JSON.stringify(lines));
    assert.ok(lines.includes('err [REDACTED]'), JSON.stringify(lines));
    for (const path of [`/v1/namespaces/default/executions/${execution.id}`, `/v1/namespaces/default/executions/${execution.id}/logs`, '/v1/namespaces/default/functions/pay', '/v1/namespaces/default/executions']) {
      assert.ok(!(await text(path)).includes(value), path);
    }
  });

  it('keeps the secret out of the error of a failed attempt', async () => {
    await pontoon.deploy('leaky', { runtime: 'command', command: ['/bin/sh', '-c', 'echo "$API_TOKEN" > "$PONTOON_ERROR"; exit 3'], retry: { limit: 0 }, secrets });
    const { body: execution } = await invoke('leaky');
    assert.equal(execution.status, 'failed');
    assert.ok(!JSON.stringify(execution).includes(value), JSON.stringify(execution));
    assert.match(execution.error ?? '', /\[REDACTED\]/);
  });

  it('refuses a deploy naming a secret the store lacks: 422 naming spec.secrets[i], nothing deployed', async () => {
    const answer = await pontoon.deploy('nokey', { runtime: 'command', command: ['true'], secrets: [...secrets, { name: 'OTHER', from: { secret: 'payments', key: 'absent' } }] });
    assert.equal(answer.status, 422, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.error.details.problems.map((problem: any) => problem.field), ['spec.secrets[1]']);
    assert.match(answer.body.error.message, /OTHER \(key absent of secret payments\) is not in the secret store/);
    assert.equal((await pontoon.request('GET', '/v1/namespaces/default/functions/nokey')).status, 404);
  });

  it('fails the attempt, without running the program, when the secret is gone by the time it starts', async () => {
    const marker = join(dir, 'ran');
    await pontoon.deploy('gone', { runtime: 'command', command: ['/bin/sh', '-c', `touch ${marker}`], retry: { limit: 0 }, secrets });
    unlinkSync(secretFile);
    try {
      const { body: execution } = await invoke('gone');
      assert.equal(execution.status, 'failed');
      assert.match(execution.error, /missing secret: API_TOKEN \(key token of secret payments\)/);
      assert.equal(execution.attempts[0].reason, 'StartFailed');
      assert.throws(() => rmSync(marker), /ENOENT/, 'the program never ran');
    } finally {
      writeFileSync(secretFile, value, { mode: 0o600 });
    }
  });

  it('gives a warm replica its secret, and redacts what it prints', async () => {
    const source = join(dir, 'warm');
    mkdirSync(source);
    writeFileSync(join(source, 'pay.js'), 'export function handler() { console.log(`warm ${process.env.API_TOKEN}`); return { length: process.env.API_TOKEN.length }; }\n');
    assert.equal((await pontoon.deploy('warm-pay', { runtime: 'node', source, handler: 'pay.handler', warm: { min: 1, max: 1 }, secrets })).status, 201);
    const { body: execution } = await invoke('warm-pay');
    assert.equal(execution.status, 'succeeded', JSON.stringify(execution));
    assert.deepEqual(execution.result, { length: value.length });
    const logs = await text(`/v1/namespaces/default/executions/${execution.id}/logs`);
    assert.ok(!logs.includes(value), logs);
    assert.match(logs, /warm \[REDACTED\]/);
  });
  it('fails the executions waiting for a warm function whose replica cannot start without its secret', async () => {
    const source = join(dir, 'warm-gone');
    mkdirSync(source);
    writeFileSync(join(source, 'pay.js'), 'export function handler() { return { ran: true }; }\n');
    assert.equal((await pontoon.deploy('warm-gone', { runtime: 'node', source, handler: 'pay.handler', warm: { min: 0, max: 1 }, retry: { limit: 0 }, secrets })).status, 201);
    unlinkSync(secretFile);
    try {
      const { body: execution } = await invoke('warm-gone');
      assert.equal(execution.status, 'failed', JSON.stringify(execution));
      assert.equal(execution.attempts[0].reason, 'StartFailed');
      assert.match(execution.error, /missing secret: API_TOKEN/);
    } finally {
      writeFileSync(secretFile, value, { mode: 0o600 });
    }
  });
});

describe('spec.secrets from the environment', () => {
  it('reads <PREFIX><SECRET>_<KEY>, and refuses every secret when no store is configured', async () => {
    process.env.PONTOON_TEST_SECRET_PAYMENTS_TOKEN = value;
    const withEnv = await startTestPontoon({ secretStore: 'env:PONTOON_TEST_SECRET_' });
    const without = await startTestPontoon();
    try {
      await withEnv.deploy('pay', { runtime: 'command', command: ['/bin/sh', '-c', 'printf \'{"length": %s}\' "${#API_TOKEN}" > "$PONTOON_OUTPUT"'], secrets });
      const { body: execution } = await withEnv.request('POST', '/v1/namespaces/default/functions/pay/invoke?wait=30s', {});
      assert.deepEqual(execution.result, { length: value.length });
      const refused = await without.deploy('pay', { runtime: 'command', command: ['true'], secrets });
      assert.equal(refused.status, 422);
      assert.match(refused.body.error.message, /no secret store is configured/);
    } finally {
      delete process.env.PONTOON_TEST_SECRET_PAYMENTS_TOKEN;
      await withEnv.close();
      await without.close();
    }
  });
});
