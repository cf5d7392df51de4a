import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { api, killHard, startController, stopController, type Controller } from '../ha/controllers.js';
import { dropSchemas, freshSchema, pgSkipReason, testPgUrl } from '../helpers/postgres.js';
import { writeScript } from '../helpers/pontoon.js';
import { OtlpReceiver } from './otlp-receiver.js';

const skip = pgSkipReason();

/** Polls `read` until `done` accepts its answer (bounded by `timeoutMs`). */
async function until<T>(read: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    assert.ok(Date.now() < deadline, `${what} within ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('traces across controllers on PostgreSQL', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'pontoon-traced-ha-'));
  const controllers: Controller[] = [];
  const receiver = new OtlpReceiver();
  after(async () => {
    await Promise.all(controllers.map((controller) => killHard(controller)));
    await receiver.stop();
    rmSync(root, { recursive: true, force: true });
    await dropSchemas();
  });

  it('after kill -9 of the controller running an attempt, another one reaps it and records its span under the id the program was given, then runs the retry in the same trace', async () => {
    await receiver.start();
    const store = `${testPgUrl}?schema=${freshSchema('traces')}`;
    // A short export interval, so the spans of the controller killed below leave it first.
    const options = { store, lease: '2s', flags: ['--otlp-endpoint', receiver.url], env: { OTEL_BSP_SCHEDULE_DELAY: '100' } };
    const first = await startController({ ...options, dataDir: join(root, 'a') });
    controllers.push(first);
    const script = writeScript('echo "TRACEPARENT=$TRACEPARENT"\n[ "$PONTOON_ATTEMPT" = 1 ] && exec sleep 30\nexit 0');
    await api(first.url, 'PUT', '/v1/namespaces/default/functions/stuck-once', {
      apiVersion: 'pontoon.dev/v1',
      kind: 'Function',
      metadata: { name: 'stuck-once' },
      spec: { runtime: 'command', command: [script], retry: { limit: 1, on: ['lost'], backoff: { initial: '100ms', jitter: false } } },
    });
    const { id } = await api(first.url, 'POST', '/v1/namespaces/default/functions/stuck-once/invoke', null);
    const logs = (base: string, attempt: number) => api(base, 'GET', `/v1/namespaces/default/executions/${id}/logs?attempt=${attempt}`).then((answer) => answer.items.map((line: any) => line.line));
    const [firstLine] = await until(() => logs(first.url, 1), (lines) => lines.length > 0, 20_000, 'attempt 1 printed its context');
    await until(() => receiver.spans.filter((span) => span.attributes['pontoon.execution.id'] === id).length, (count) => count >= 2, 20_000, 'the first controller exported invoke and queue');

    const second = await startController({ ...options, dataDir: join(root, 'b') });
    controllers.push(second);
    await killHard(first);
    const ended = await until(() => api(second.url, 'GET', `/v1/namespaces/default/executions/${id}`), (execution) => execution.status === 'succeeded', 60_000, 'the retry succeeded');
    assert.equal(ended.attempts[0].reason, 'LeaseExpired');
    const [secondLine] = await logs(second.url, 2);
    await stopController(second);

    const invoke = receiver.spans.find((span) => span.name === 'invoke' && span.attributes['pontoon.execution.id'] === id)!;
    const spans = receiver.trace(invoke.traceId);
    const names = spans.map((span) => `${span.name}${span.attributes['pontoon.attempt'] ?? ''}`).sort();
    assert.deepEqual(names, ['attempt1', 'attempt2', 'invoke', 'queue1', 'queue2', 'result']);
    for (const span of spans) if (span !== invoke) assert.equal(span.parentSpanId, invoke.spanId, `${span.name} is a child of invoke`);
    const attempt = (number: number) => spans.find((span) => span.name === 'attempt' && span.attributes['pontoon.attempt'] === number)!;
    assert.equal(attempt(1).attributes['pontoon.attempt.status'], 'lost');
    assert.equal(attempt(1).attributes['pontoon.attempt.reason'], 'LeaseExpired');
    assert.equal(firstLine, `TRACEPARENT=00-${invoke.traceId}-${attempt(1).spanId}-01`, 'the reaping controller recorded the span the killed one had handed to the program');
    assert.equal(secondLine, `TRACEPARENT=00-${invoke.traceId}-${attempt(2).spanId}-01`);
  });
});
