import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startTestPontoon } from '../helpers/pontoon.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('warm functions over the API', () => {
  it('runs a warm node handler deployed over HTTP, and shows its replicas in the function and in /metrics', async () => {
    const source = mkdtempSync(join(tmpdir(), 'pontoon-warm-api-'));
    dirs.push(source);
    writeFileSync(join(source, 'noop.js'), 'export function handler(input) { return { pid: process.pid, input }; }\n');
    const pontoon = await startTestPontoon();
    try {
      const deployed = await pontoon.deploy('noop', { runtime: 'node', source, handler: 'noop.handler', warm: { min: 1, max: 2, concurrency: 4 } });
      assert.equal(deployed.status, 201);
      assert.deepEqual(deployed.body.spec.warm, { min: 1, max: 2, idleTimeout: '5m', concurrency: 4 });
      const first = await pontoon.request('POST', '/v1/namespaces/default/functions/noop/invoke?wait=30s', { n: 1 });
      const second = await pontoon.request('POST', '/v1/namespaces/default/functions/noop/invoke?wait=30s', { n: 2 });
      assert.equal(first.body.status, 'succeeded');
      assert.deepEqual(second.body.result.input, { n: 2 });
      assert.equal(first.body.result.pid, second.body.result.pid, 'both ran in the one warm replica');
      const fn = await pontoon.request('GET', '/v1/namespaces/default/functions/noop');
      assert.deepEqual(fn.body.status.replicas, { desired: 1, ready: 1, starting: 0, draining: 0, inFlight: 0 });
      const metrics = await pontoon.request('GET', '/metrics');
      assert.match(metrics.body, /^pontoon_warm_replicas_desired\{namespace="default",function="noop"\} 1$/m);
      assert.match(metrics.body, /^pontoon_warm_replicas_ready\{namespace="default",function="noop"\} 1$/m);
      assert.match(metrics.body, /^pontoon_scalar_scale_events_total [1-9]/m);

      const cold = await pontoon.deploy('cold', { runtime: 'command', command: ['true'] });
      assert.equal(cold.body.status.replicas, null);
      const rejected = await pontoon.deploy('bad', { runtime: 'node', source, handler: 'noop.handler', warm: { max: 2, concurrency: 0 } });
      assert.equal(rejected.status, 422);
      assert.equal(rejected.body.error.details.problems[0].field, 'spec.warm.concurrency');
    } finally {
      await pontoon.close();
    }
  });
});
