import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../cli/run-cli.js';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';

const fnPath = (name: string, rest = '') => `/v1/namespaces/default/functions/${name}${rest}`;

function assertNames(answer: { status: number; body: any }, status: number, code: string, field: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body.error.code, code);
  const details = answer.body.error.details;
  const fields = details?.problems ? details.problems.map((problem: { field: string }) => problem.field) : [details?.field];
  assert.ok(fields.includes(field), `${field} named in ${JSON.stringify(answer.body.error)}`);
}

describe('scheduling controls over the API and the CLI', () => {
  let pontoon: TestPontoon;
  before(async () => {
    pontoon = await startTestPontoon();
    const held = { runtime: 'command', command: ['sleep', '30'], timeout: '1m' };
    assert.equal((await pontoon.deploy('limited', { ...held, rateLimit: { limit: 1, period: '1h' } })).status, 201);
    assert.equal((await pontoon.deploy('keyed', { ...held, concurrency: { key: '/tenant', limit: 1 } })).status, 201);
    assert.equal((await pontoon.deploy('plain', { runtime: 'command', command: ['true'] })).status, 201);
  });
  after(() => pontoon.close());

  it('refuses a bad delay or runAt with 400 naming the field, and stores nothing', async () => {
    assertNames(await pontoon.request('POST', fnPath('plain', '/invoke?delay=soon'), 1), 400, 'INVALID_REQUEST', 'querystring.delay');
    assertNames(await pontoon.request('POST', fnPath('plain', '/invoke?delay=31d'), 1), 400, 'INVALID_REQUEST', 'querystring.delay');
    assertNames(await pontoon.request('POST', fnPath('plain', '/invoke?runAt=tomorrow'), 1), 400, 'INVALID_REQUEST', 'querystring.runAt');
    assertNames(await pontoon.request('POST', fnPath('plain', '/invoke?delay=1s&runAt=2030-01-01T00:00:00Z'), 1), 400, 'INVALID_REQUEST', 'querystring.delay');
    assertNames(await pontoon.request('POST', fnPath('plain', '/batch'), { inputs: [1], delay: '-1s' }), 400, 'INVALID_REQUEST', 'body.delay');
    assertNames(await pontoon.request('POST', fnPath('plain', '/batch'), { inputs: [1], runAt: '2999-01-01T00:00:00Z' }), 400, 'INVALID_REQUEST', 'body.runAt');
    const listed = await pontoon.request('GET', '/v1/namespaces/default/executions?function=plain');
    assert.deepEqual(listed.body.items, []);
  });

  it('refuses bad rateLimit and concurrency values with 422 naming the field', async () => {
    const deploy = (spec: Record<string, unknown>) => pontoon.deploy('bad', { runtime: 'command', command: ['true'], ...spec });
    assertNames(await deploy({ rateLimit: { limit: 0, period: '1s' } }), 422, 'INVALID_SPEC', 'spec.rateLimit.limit');
    assertNames(await deploy({ rateLimit: { limit: 5, period: '5ms' } }), 422, 'INVALID_SPEC', 'spec.rateLimit.period');
    assertNames(await deploy({ concurrency: { key: 'tenant', limit: 1 } }), 422, 'INVALID_SPEC', 'spec.concurrency.key');
    assertNames(await deploy({ concurrency: { key: '/tenant', limit: 0 } }), 422, 'INVALID_SPEC', 'spec.concurrency.limit');
    assertNames(await deploy({ schedules: [{ cron: '* * * * *', delay: 'later' }] }), 422, 'INVALID_SPEC', 'spec.schedules[0].delay');
    assert.equal((await pontoon.request('GET', fnPath('bad'))).status, 404);
  });

  it('refuses an input whose concurrency key is too long with 400 naming it', async () => {
    assertNames(await pontoon.request('POST', fnPath('keyed', '/invoke'), { tenant: 'x'.repeat(300) }), 400, 'INVALID_INPUT', 'input/tenant');
  });

  it('says why a queued execution waits: rate limited until a time, its key at its limit', async () => {
    const first = await pontoon.request('POST', fnPath('limited', '/invoke'), 1);
    await pontoon.waitFor(first.body.id, (execution) => execution.status === 'running');
    const second = await pontoon.request('POST', fnPath('limited', '/invoke'), 2);
    const limited = await pontoon.waitFor(second.body.id, (execution) => execution.waiting?.reason === 'rateLimited', 5000);
    assert.equal(limited.waiting.limit, 1);
    assert.equal(limited.waiting.period, '1h');
    const firstStart = (await pontoon.request('GET', `/v1/namespaces/default/executions/${first.body.id}`)).body.attempts[0].startedAt;
    assert.equal(Date.parse(limited.waiting.until), Date.parse(firstStart) + 3600_000, 'a slot comes back when the first start leaves the window');

    const a1 = await pontoon.request('POST', fnPath('keyed', '/invoke'), { tenant: 'acme' });
    await pontoon.waitFor(a1.body.id, (execution) => execution.status === 'running');
    const a2 = await pontoon.request('POST', fnPath('keyed', '/invoke'), { tenant: 'acme' });
    const other = await pontoon.request('POST', fnPath('keyed', '/invoke'), { tenant: 'other' });
    await pontoon.waitFor(other.body.id, (execution) => execution.status === 'running');
    const waiting = await pontoon.request('GET', `/v1/namespaces/default/executions/${a2.body.id}`);
    assert.equal(waiting.body.status, 'queued');
    assert.equal(waiting.body.concurrencyKey, 'acme');
    assert.deepEqual(waiting.body.waiting, { reason: 'concurrencyKey', key: 'acme', running: 1, limit: 1 });

    // The CLI shows the same, and the function's controls.
    const env = { PONTOON_URL: pontoon.url };
    const described = await runCli(['describe', 'execution', a2.body.id], { env });
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, /Waiting:\s+concurrency key "acme" at its limit \(1 of 1 running\)/);
    assert.match(described.stdout, /Concurrency Key:\s+acme/);
    const limitedText = await runCli(['describe', 'execution', second.body.id], { env });
    assert.match(limitedText.stdout, /Waiting:\s+rate limited \(1 per 1h\) until /);
    const fn = await runCli(['describe', 'function', 'limited'], { env });
    assert.match(fn.stdout, /Rate Limit:\s+1 attempt starts per 1h/);
    const keyedFn = await runCli(['describe', 'function', 'keyed'], { env });
    assert.match(keyedFn.stdout, /Concurrency:\s+at most 1 running per key \/tenant/);
    for (const id of [first.body.id, second.body.id, a1.body.id, a2.body.id, other.body.id]) await pontoon.request('POST', `/v1/namespaces/default/executions/${id}/cancel`);
  });

  it('the CLI invokes later with --delay and --at, shows the start time, and refuses bad values', async () => {
    const env = { PONTOON_URL: pontoon.url };
    const delayed = await runCli(['invoke', 'plain', '--data', '1', '--delay', '10m', '-o', 'json'], { env });
    assert.equal(delayed.code, 0, delayed.stderr);
    const execution = JSON.parse(delayed.stdout);
    assert.equal(execution.status, 'queued');
    assert.ok(Math.abs(Date.parse(execution.notBefore) - Date.now() - 600_000) < 30_000);
    const described = await runCli(['describe', 'execution', execution.id], { env });
    assert.match(described.stdout, /Not Before:\s+\S+ \(in /);
    assert.match(described.stdout, /Waiting:\s+not before /);
    const at = await runCli(['invoke', 'plain', '--data', '1', '--at', '2999-01-01T00:00:00Z'], { env });
    assert.notEqual(at.code, 0);
    assert.match(at.stderr, /runAt must be at most 30 days ahead/);
    const both = await runCli(['invoke', 'plain', '--delay', '1s', '--at', '2030-01-01T00:00:00Z'], { env });
    assert.notEqual(both.code, 0);
    assert.match(both.stderr, /--delay and --at cannot be combined/);
    const bad = await runCli(['invoke', 'plain', '--delay', 'soon'], { env });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--delay/);
    await pontoon.request('POST', `/v1/namespaces/default/executions/${execution.id}/cancel`);
  });

  it('documents the new fields in the OpenAPI document and the function schema', async () => {
    const openapi = await pontoon.request('GET', '/openapi.json');
    const text = JSON.stringify(openapi.body);
    for (const word of ['waiting', 'concurrencyKey', 'rateLimited', 'runAt', 'delay']) assert.ok(text.includes(word), `${word} in the OpenAPI document`);
    const schema = await pontoon.request('GET', '/v1/schema');
    assert.ok(schema.body.properties.spec.properties.rateLimit);
    assert.ok(schema.body.properties.spec.properties.concurrency);
  });
});
