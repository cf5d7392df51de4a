import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import type { FunctionVersion } from '../../src/domain/function-spec.js';
import type { ReplicaSettlement } from '../../src/executors/executor.js';
import type { ReplicaProcessOptions } from '../../src/executors/warm/replica-process.js';
import { Replica, type ReplicaHost } from '../../src/executors/warm/replica.js';
import { RuntimeApi } from '../../src/executors/warm/runtime-api.js';
import { WakeSignal } from '../../src/executors/warm/wake-signal.js';
import type { ClaimedAttempt } from '../../src/store/store.js';

/**
 * A replica behind the real runtime API, with a stand-in host that claims one execution per slot
 * asked and records the settlements: what the batch path does with posted results and deadlines.
 */
async function harness(api: RuntimeApi, options: { timeout: string; resultLimitBytes: number; prefetch?: number }) {
  let sequence = 0;
  const settled: ReplicaSettlement[] = [];
  const claim = (max: number): ClaimedAttempt[] =>
    Array.from({ length: max }, () => {
      sequence += 1;
      return { execution: { id: `e${sequence}`, input: null }, attempt: 1, function: { version: 1 }, leaseExpiresAt: new Date().toISOString() } as unknown as ClaimedAttempt;
    });
  const host: ReplicaHost = {
    take: async (_replica, max) => claim(max),
    settle: async (settlements) => {
      settled.push(...settlements);
      return settlements.map(() => true);
    },
    settleAndTake: async (_replica, settlements, max) => {
      settled.push(...settlements);
      return { applied: settlements.map(() => true), claimed: claim(max) };
    },
    logs: () => undefined,
    work: new WakeSignal(),
    changed: () => undefined,
    logger: pino({ level: 'silent' }),
  };
  let stopped = 0;
  const address = await api.listen();
  const fn = { namespace: 'default', name: 'batch', version: 1, document: { spec: { timeout: options.timeout } } } as unknown as FunctionVersion;
  const replica = new Replica(
    {
      fn,
      concurrency: 2,
      prefetch: options.prefetch,
      command: ['unused'],
      cwd: '/',
      env: {},
      runtimeApi: address,
      graceMs: 100,
      logLimitBytes: 1 << 20,
      resultLimitBytes: options.resultLimitBytes,
      startTimeoutMs: 60_000,
      launch: (_options: ReplicaProcessOptions) => ({ stop: async () => void (stopped += 1) }),
    },
    host,
  );
  api.register(replica.token, replica);
  const call = (method: string, path: string, body?: string) =>
    new Promise<{ status: number; body: any }>((resolve, reject) => {
      const headers: Record<string, string> = { authorization: `Bearer ${replica.token}`, ...(body ? { 'content-type': 'application/json' } : {}) };
      const req = request(`http://${address}${path}`, { method, headers, agent: false }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: parts.length ? JSON.parse(Buffer.concat(parts).toString('utf8')) : null }));
      });
      req.on('error', reject);
      req.end(body);
    });
  return { replica, settled, call, stopped: () => stopped };
}

describe('a replica settling posted batches', () => {
  const api = new RuntimeApi((error) => assert.fail(error));
  after(() => api.close());

  it('fails a result over the limit even when the body that carried it was under it', async () => {
    const { replica, settled, call } = await harness(api, { timeout: '1m', resultLimitBytes: 300 });
    const taken = await call('GET', '/v1/invocations/next?max=2&wait=0');
    assert.equal(taken.status, 200);
    const [big, small] = taken.body.invocations.map((invocation: { id: string }) => invocation.id);
    // 20 numbers of 4 bytes as written are 21 bytes each once serialized: 101 bytes posted, 441 stored.
    const grows = `[${Array(20).fill('1e20').join(',')}]`;
    const stored = Buffer.byteLength(JSON.stringify(JSON.parse(grows)));
    assert.equal(stored, 441);
    const body = `{"results":[{"id":"${big}","status":"succeeded","result":${grows}},{"id":"${small}","status":"succeeded","result":{"n":1}}]}`;
    assert.ok(Buffer.byteLength(body) < 300);
    const answer = await call('POST', '/v1/invocations/results', body);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.accepted, [big, small]);
    const outcomes = settled.map((settlement) => settlement.outcome);
    assert.deepEqual(outcomes[0], { status: 'failed', exitCode: null, reason: 'ResultTooLarge', error: `result of ${stored} bytes exceeds the limit of 300 bytes`, result: null });
    assert.deepEqual(outcomes[1], { status: 'succeeded', exitCode: null, reason: null, error: null, result: { n: 1 } });
    await replica.stop('test over');
  });

  it('stops the replica at a later batch’s deadline after the earlier batch was answered in time', async () => {
    const { replica, settled, call, stopped } = await harness(api, { timeout: '600ms', resultLimitBytes: 1 << 20 });
    const first = await call('GET', '/v1/invocations/next?max=1&wait=0');
    const firstId = first.body.invocations[0].id;
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Answered in time; the post takes the second batch, whose deadline is 300 ms after the first's.
    const posted = await call('POST', '/v1/invocations/results?next=1', JSON.stringify({ results: [{ id: firstId, status: 'succeeded' }] }));
    assert.deepEqual(posted.body.accepted, [firstId]);
    const second = posted.body.invocations[0];
    const secondDeadline = Date.parse(second.deadline);
    for (let waited = 0; waited < 200 && settled.length < 2; waited++) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.equal(settled.length, 2, 'the second invocation was settled at its deadline');
    assert.equal(settled[1].outcome.status, 'timed_out');
    assert.equal(settled[1].claimed.execution.id, second.executionId);
    assert.ok(settled[1].endedAt.getTime() >= secondDeadline, `timed out at ${settled[1].endedAt.toISOString()}, before its deadline ${second.deadline}`);
    assert.equal(stopped(), 1);
    assert.equal(replica.state, 'stopped');
  });

  it('hands a replica no more than its concurrency plus its prefetch, whatever it asks', async () => {
    const { replica, call } = await harness(api, { timeout: '1m', resultLimitBytes: 1 << 20, prefetch: 3 });
    const taken = await call('GET', '/v1/invocations/next?max=1000&wait=0');
    assert.equal(taken.body.invocations.length, 5, 'concurrency 2 + prefetch 3');
    const [first, second] = taken.body.invocations.map((invocation: { id: string }) => invocation.id);
    const posted = await call('POST', '/v1/invocations/results?next=1000', JSON.stringify({ results: [first, second].map((id) => ({ id, status: 'succeeded' })) }));
    assert.deepEqual(posted.body.accepted, [first, second]);
    assert.equal(posted.body.invocations.length, 2, 'only the two places its post freed');
    assert.equal((await call('GET', '/v1/invocations/next?max=1000&wait=0')).status, 204);
    await replica.stop('test over');
  });
});
