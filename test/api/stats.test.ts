import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isDone, startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';

const ns = '/v1/namespaces/default';

describe('stats API and the dashboard’s files', () => {
  let pontoon: TestPontoon;
  let startedAt: string;
  before(async () => {
    pontoon = await startTestPontoon();
    await pontoon.deploy('ok', { runtime: 'command', command: ['sh', '-c', 'exit 0'] });
    await pontoon.deploy('bad', { runtime: 'command', command: ['sh', '-c', 'exit 3'], retry: { limit: 0 } });
    startedAt = new Date().toISOString();
    const ids = [];
    for (const name of ['ok', 'ok', 'ok', 'bad']) ids.push((await pontoon.request('POST', `${ns}/functions/${name}/invoke`, null)).body.id);
    for (const id of ids) await pontoon.waitFor(id, isDone);
  });
  after(() => pontoon.close());

  it('answers how each function’s executions ended in the last hour, with duration percentiles', async () => {
    const { status, body } = await pontoon.request('GET', `${ns}/stats/functions`);
    assert.equal(status, 200);
    assert.equal(Date.parse(body.until) - Date.parse(body.since), 3_600_000);
    const byName = Object.fromEntries(body.items.map((item: any) => [item.function, item]));
    assert.deepEqual(Object.keys(byName), ['bad', 'ok']);
    assert.deepEqual([byName.ok.succeeded, byName.ok.failed, byName.bad.succeeded, byName.bad.failed], [3, 0, 0, 1]);
    assert.ok(byName.ok.p50Ms >= 0 && byName.ok.p50Ms <= byName.ok.p95Ms && byName.ok.p95Ms <= byName.ok.p99Ms);
    // A window before anything ran is empty.
    const early = await pontoon.request('GET', `${ns}/stats/functions?until=${encodeURIComponent(startedAt)}`);
    assert.deepEqual(early.body.items, []);
  });

  it('answers a series whose buckets add up to what ran, per function', async () => {
    const until = new Date(Date.now() + 1000);
    const since = new Date(until.getTime() - 600_000);
    const window = `since=${encodeURIComponent(since.toISOString())}&until=${encodeURIComponent(until.toISOString())}`;
    const { status, body } = await pontoon.request('GET', `${ns}/stats/series?bucket=10s&${window}`);
    assert.equal(status, 200);
    assert.equal(body.bucketMs, 10_000);
    assert.equal(body.items.length, 60);
    assert.equal(body.items[0].start, since.toISOString());
    const sum = (items: any[], field: string) => items.reduce((total, item) => total + item[field], 0);
    assert.deepEqual([sum(body.items, 'created'), sum(body.items, 'succeeded'), sum(body.items, 'failed')], [4, 3, 1]);
    assert.equal(body.items.at(-1).queueDepth, 0);
    const bad = await pontoon.request('GET', `${ns}/stats/series?function=bad&bucket=1m&${window}`);
    assert.deepEqual([sum(bad.body.items, 'created'), sum(bad.body.items, 'failed'), bad.body.items.length], [1, 1, 10]);
  });

  it('lists executions by creation time', async () => {
    const since = await pontoon.request('GET', `${ns}/executions?createdSince=${encodeURIComponent(startedAt)}`);
    assert.equal(since.body.items.length, 4);
    const before = await pontoon.request('GET', `${ns}/executions?createdBefore=${encodeURIComponent(startedAt)}`);
    assert.deepEqual(before.body.items, []);
  });

  it('refuses a bad window or bucket with a coded error naming it', async () => {
    // A malformed field is a 400; well-formed fields that together ask for no window or too many
    // buckets (or buckets under a second) are a 422: the document cannot say "since before until".
    const cases: [string, number, string, RegExp][] = [
      [`${ns}/stats/functions?since=2030-01-02T00:00:00Z&until=2030-01-01T00:00:00Z`, 422, 'INVALID_WINDOW', /since must be before until/],
      [`${ns}/stats/functions?since=yesterday`, 400, 'INVALID_REQUEST', /since/],
      [`${ns}/stats/series?bucket=10x`, 400, 'INVALID_REQUEST', /bucket/],
      [`${ns}/stats/series?bucket=500ms`, 422, 'INVALID_WINDOW', /bucket must be at least 1s/],
      [`${ns}/stats/series?bucket=1s&since=2030-01-01T00:00:00Z&until=2030-01-02T00:00:00Z`, 422, 'INVALID_WINDOW', /86400 buckets, more than 1440/],
      [`${ns}/executions?createdSince=noon`, 400, 'INVALID_REQUEST', /createdSince/],
    ];
    for (const [path, expectedStatus, code, message] of cases) {
      const { status, body } = await pontoon.request('GET', path);
      assert.equal(status, expectedStatus, path);
      assert.equal(body.error.code, code, path);
      assert.match(body.error.message, message, path);
    }
  });

  it('serves the built dashboard at / and documents the stats routes', async () => {
    const page = await pontoon.request('GET', '/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.body, /<script type="module" src="\/main.js">/);
    assert.match((await pontoon.request('GET', '/main.js')).headers.get('content-type') ?? '', /javascript/);
    const missing = await pontoon.request('GET', '/no-such-file.js');
    assert.equal(missing.body.error.code, 'NOT_FOUND');
    const openapi = (await pontoon.request('GET', '/openapi.json')).body;
    assert.ok(openapi.paths['/v1/namespaces/{ns}/stats/functions']);
    assert.ok(openapi.paths['/v1/namespaces/{ns}/stats/series']);
    assert.ok(!openapi.paths['/main.js'], 'static files stay out of the API document');
  });
});
