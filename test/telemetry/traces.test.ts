import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isDone, startTestPontoon, writeScript, type TestPontoon } from '../helpers/pontoon.js';
import { OtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

/*
 * Traces end to end: a real Pontoon with tracing on exports to a real OTLP/HTTP receiver on
 * loopback, through OpenTelemetry's own exporter. Spans are read after the server closes (which
 * flushes its batch), so no assertion depends on the export interval.
 */

const invokePath = (name: string, query = '') => `/v1/namespaces/default/functions/${name}/invoke${query}`;
const fastRetry = { limit: 1, on: ['failure', 'lost'], backoff: { initial: '100ms', factor: 2, max: '1s', jitter: false } };
/** Prints the trace context it was given; fails its first attempt with exit 3. */
const printsContext = () => writeScript('echo "TRACEPARENT=${TRACEPARENT-unset} TRACESTATE=${TRACESTATE-unset}"\n[ "$PONTOON_ATTEMPT" = 1 ] && exit 3\nexit 0');
const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

async function logLines(pontoon: TestPontoon, id: string, attempt: number): Promise<string[]> {
  const { body } = await pontoon.request('GET', `/v1/namespaces/default/executions/${id}/logs?attempt=${attempt}`);
  return body.items.filter((line: any) => line.stream === 'stdout').map((line: any) => line.line);
}

function only(spans: ReceivedSpan[], name: string, attempt?: number): ReceivedSpan {
  const found = spans.filter((span) => span.name === name && (attempt === undefined || span.attributes['pontoon.attempt'] === attempt));
  assert.equal(found.length, 1, `one ${name} span${attempt ? ` of attempt ${attempt}` : ''}: ${JSON.stringify(spans.map((span) => [span.name, span.attributes['pontoon.attempt']]))}`);
  return found[0];
}

/** Asserts the tree invoke → queue, attempt, result of one execution, and returns its spans by name. */
function assertExecutionTree(spans: ReceivedSpan[], executionId: string, attempts: number) {
  const invoke = only(spans, 'invoke');
  assert.equal(invoke.kind, 4, 'invoke is a producer span');
  assert.equal(invoke.attributes['pontoon.execution.id'], executionId);
  const queue = Array.from({ length: attempts }, (_, index) => only(spans, 'queue', index + 1));
  const attempt = Array.from({ length: attempts }, (_, index) => only(spans, 'attempt', index + 1));
  const result = only(spans, 'result');
  for (const child of [...queue, ...attempt, result]) {
    assert.equal(child.parentSpanId, invoke.spanId, `${child.name} is a child of invoke`);
    assert.equal(child.attributes['pontoon.execution.id'], executionId);
  }
  assert.equal(spans.length, 2 + 2 * attempts, 'no other spans in the trace');
  for (let index = 0; index < attempts; index++) {
    assert.ok(queue[index].endMs <= attempt[index].startMs + 1, 'an attempt starts when its wait in the queue ends');
    if (index > 0) assert.ok(queue[index].startMs >= attempt[index - 1].endMs - 1, 'a retry waits from the end of the attempt before it');
  }
  return { invoke, queue, attempt, result };
}

describe('OpenTelemetry traces (tracing on)', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await new OtlpReceiver().start();
  });
  after(() => receiver.stop());

  it('traces a cold run with a retry: invoke, then a queue wait and an attempt span per attempt, then the result; each attempt sees its own span as TRACEPARENT', async () => {
    const pontoon = await startTestPontoon({ otlpEndpoint: receiver.url });
    let id: string;
    let logs: string[][];
    try {
      await pontoon.deploy('flaky', { runtime: 'command', command: [printsContext()], retry: fastRetry });
      const answer = await pontoon.request('POST', invokePath('flaky', '?wait=30s'), null);
      assert.equal(answer.body.status, 'succeeded');
      id = answer.body.id;
      logs = [await logLines(pontoon, id, 1), await logLines(pontoon, id, 2)];
    } finally {
      await pontoon.close();
    }
    const invoke = receiver.spans.find((span) => span.name === 'invoke' && span.attributes['pontoon.execution.id'] === id)!;
    assert.ok(invoke, 'the invoke span was exported');
    assert.equal(invoke.parentSpanId, '', 'without a traceparent header the invoke span is a root');
    assert.equal(invoke.serviceName, 'pontoon');
    const { attempt, result } = assertExecutionTree(receiver.trace(invoke.traceId), id, 2);
    assert.equal(attempt[0].attributes['pontoon.attempt.status'], 'failed');
    assert.equal(attempt[0].attributes['pontoon.attempt.exit_code'], 3);
    assert.equal(attempt[0].attributes['pontoon.attempt.next'], 'retry');
    assert.equal(attempt[0].status.code, 2, 'a failed attempt is an error span');
    assert.equal(attempt[1].attributes['pontoon.attempt.status'], 'succeeded');
    assert.equal(attempt[1].status.code, 1);
    assert.equal(result.attributes['pontoon.execution.status'], 'succeeded');
    for (const [index, lines] of logs.entries()) {
      assert.deepEqual(lines, [`TRACEPARENT=00-${invoke.traceId}-${attempt[index].spanId}-01 TRACESTATE=unset`], `attempt ${index + 1} printed its own span`);
    }
  });

  it('continues an incoming traceparent header: the invoke span is its child, tracestate reaches the program, and the completion event carries the trace (tracing on by OTEL_EXPORTER_OTLP_ENDPOINT)', async () => {
    const events: any[] = [];
    const sink = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        // Binary mode: the attributes are ce-* headers, the body is the data (the execution).
        events.push({ headers: request.headers, data: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    after(() => new Promise<void>((resolve) => sink.close(() => resolve())));
    const callback = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/done`;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    let pontoon: TestPontoon;
    try {
      // The callback goes to this test's server on loopback, which the operator must allow.
      pontoon = await startTestPontoon({ allowOutbound: ['127.0.0.1/32'] });
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    }
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const callerSpan = 'b7ad6b7169203331';
    let id: string;
    let lines: string[];
    try {
      await pontoon.deploy('once', { runtime: 'command', command: [writeScript('echo "TRACEPARENT=$TRACEPARENT TRACESTATE=$TRACESTATE"')] });
      const answer = await pontoon.request('POST', invokePath('once', '?wait=30s'), null, { traceparent: `00-${traceId}-${callerSpan}-01`, tracestate: 'vendor=abc', 'x-callback-url': callback });
      assert.equal(answer.body.status, 'succeeded');
      assert.equal(answer.body.traceContext, undefined, 'the API does not show the stored context');
      id = answer.body.id;
      lines = await logLines(pontoon, id, 1);
      for (let waited = 0; events.length === 0 && waited < 20_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await pontoon.close();
    }
    const spans = receiver.trace(traceId);
    const { invoke, attempt } = assertExecutionTree(spans, id, 1);
    assert.equal(invoke.parentSpanId, callerSpan, 'the invoke span continues the caller’s span');
    assert.deepEqual(lines, [`TRACEPARENT=00-${traceId}-${attempt[0].spanId}-01 TRACESTATE=vendor=abc`]);
    assert.equal(events.length, 1, 'the completion event was delivered');
    assert.equal(events[0].headers['ce-traceparent'], `00-${traceId}-${invoke.spanId}-01`, 'the completion event continues the execution’s trace');
    assert.equal(events[0].headers['ce-tracestate'], 'vendor=abc');
    assert.equal(events[0].data.id, id);
    assert.equal(events[0].data.traceContext, undefined, 'its data is the execution as the API shows it');
  });

  it('continues the trace of a CloudEvent: its traceparent extension, else the request’s traceparent header', async () => {
    const pontoon = await startTestPontoon({ otlpEndpoint: receiver.url });
    const extension = { traceId: '11111111111111111111111111111111', spanId: '2222222222222222' };
    const header = { traceId: '33333333333333333333333333333333', spanId: '4444444444444444' };
    const executions: Record<string, string> = {};
    try {
      await pontoon.deploy('on-push', { runtime: 'command', command: ['true'], triggers: [{ cloudevent: { type: 'com.example.push' } }] });
      const structured = await pontoon.request(
        'POST',
        '/v1/namespaces/default/events',
        { specversion: '1.0', id: 'e-1', source: '/repo', type: 'com.example.push', traceparent: `00-${extension.traceId}-${extension.spanId}-01` },
        { 'content-type': 'application/cloudevents+json' },
      );
      const binary = await pontoon.request('POST', '/v1/namespaces/default/events', { ref: 'main' }, {
        'ce-specversion': '1.0',
        'ce-id': 'e-2',
        'ce-source': '/repo',
        'ce-type': 'com.example.push',
        'content-type': 'application/json',
        traceparent: `00-${header.traceId}-${header.spanId}-01`,
      });
      assert.deepEqual([structured.status, binary.status], [202, 202]);
      executions.extension = structured.body.executions[0].id;
      executions.header = binary.body.executions[0].id;
      for (const id of Object.values(executions)) await pontoon.waitFor(id, isDone);
    } finally {
      await pontoon.close();
    }
    for (const [key, caller] of [['extension', extension], ['header', header]] as const) {
      const { invoke } = assertExecutionTree(receiver.trace(caller.traceId), executions[key], 1);
      assert.equal(invoke.parentSpanId, caller.spanId, `the ${key}’s span is the invoke span’s parent`);
    }
  });

  it('traces a warm run: the replica is handed the attempt span’s traceparent with the invocation, and the SDK context shows it', async () => {
    const source = mkdtempSync(join(tmpdir(), 'pontoon-traced-warm-'));
    writeFileSync(join(source, 'fn.js'), 'export function handler(input, ctx) { return { traceparent: ctx.traceparent, traceId: ctx.traceId, pid: process.pid }; }\n');
    const pontoon = await startTestPontoon({ otlpEndpoint: receiver.url });
    let answers: any[] = [];
    try {
      await pontoon.deploy('warm', { runtime: 'node', source, handler: 'fn.handler', warm: { min: 1, max: 1 } });
      for (let n = 0; n < 2; n++) answers.push((await pontoon.request('POST', invokePath('warm', '?wait=60s'), { n })).body);
    } finally {
      await pontoon.close();
      rmSync(source, { recursive: true, force: true });
    }
    assert.deepEqual(answers.map((answer) => answer.status), ['succeeded', 'succeeded']);
    assert.equal(answers[0].result.pid, answers[1].result.pid, 'both ran in the one warm replica');
    const traceIds = new Set<string>();
    for (const answer of answers) {
      const match = traceparentPattern.exec(answer.result.traceparent);
      assert.ok(match, `a traceparent: ${answer.result.traceparent}`);
      assert.equal(answer.result.traceId, match[1]);
      traceIds.add(match[1]);
      const { attempt } = assertExecutionTree(receiver.trace(match[1]), answer.id, 1);
      assert.equal(attempt[0].spanId, match[2], 'the handler saw its attempt span');
    }
    assert.equal(traceIds.size, 2, 'each invocation has a trace of its own');
  });

  it('keeps a trace across a restart: the attempt interrupted by the stop and the retry run after it are siblings under the one invoke span', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pontoon-traced-restart-'));
    try {
      const first = await startTestPontoon({ otlpEndpoint: receiver.url, dataDir });
      let id: string;
      try {
        const script = writeScript('echo "TRACEPARENT=$TRACEPARENT"\n[ "$PONTOON_ATTEMPT" = 1 ] && exec sleep 30\nexit 0');
        await first.deploy('slow-first', { runtime: 'command', command: [script], retry: fastRetry });
        id = (await first.request('POST', invokePath('slow-first'), null)).body.id;
        await first.waitFor(id, (execution) => execution.status === 'running');
      } finally {
        await first.close();
      }
      const second = await startTestPontoon({ otlpEndpoint: receiver.url, dataDir });
      let lines: string[];
      try {
        const ended = await second.waitFor(id, isDone, 30_000);
        assert.equal(ended.status, 'succeeded');
        assert.notEqual(ended.attempts[0].owner, ended.attempts[1].owner, 'another run of the controller ran the retry');
        lines = await logLines(second, id, 2);
      } finally {
        await second.close();
      }
      const invoke = receiver.spans.find((span) => span.name === 'invoke' && span.attributes['pontoon.execution.id'] === id)!;
      const { attempt } = assertExecutionTree(receiver.trace(invoke.traceId), id, 2);
      assert.equal(attempt[0].attributes['pontoon.attempt.status'], 'lost');
      assert.equal(attempt[0].attributes['pontoon.attempt.reason'], 'Interrupted');
      assert.deepEqual(lines, [`TRACEPARENT=00-${invoke.traceId}-${attempt[1].spanId}-01`]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('tracing off', () => {
  it('with OTEL_TRACES_EXPORTER=none exports nothing, even to a configured endpoint, and passes no TRACEPARENT unless the request carried one: then the program gets it unchanged', async () => {
    const receiver = await new OtlpReceiver().start();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.OTEL_TRACES_EXPORTER = 'none';
    let pontoon: TestPontoon;
    try {
      pontoon = await startTestPontoon({ capacity: 1 });
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      delete process.env.OTEL_TRACES_EXPORTER;
    }
    try {
      await pontoon.deploy('plain', { runtime: 'command', command: [writeScript('echo "TRACEPARENT=${TRACEPARENT-unset} TRACESTATE=${TRACESTATE-unset}"')] });
      const plain = await pontoon.request('POST', invokePath('plain', '?wait=30s'), null);
      assert.deepEqual(await logLines(pontoon, plain.body.id, 1), ['TRACEPARENT=unset TRACESTATE=unset']);
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const carried = await pontoon.request('POST', invokePath('plain', '?wait=30s'), null, { traceparent, tracestate: 'a=1' });
      assert.deepEqual(await logLines(pontoon, carried.body.id, 1), [`TRACEPARENT=${traceparent} TRACESTATE=a=1`]);
      // With capacity 1, the second of a batch is claimed in the step that settles the first.
      const batch = await pontoon.request('POST', '/v1/namespaces/default/functions/plain/batch', { inputs: [1, 2] }, { traceparent });
      for (const { id } of batch.body.items) {
        await pontoon.waitFor(id, isDone);
        assert.deepEqual(await logLines(pontoon, id, 1), [`TRACEPARENT=${traceparent} TRACESTATE=unset`]);
      }
      const malformed = await pontoon.request('POST', invokePath('plain', '?wait=30s'), null, { traceparent: '00-zz-nope-01' });
      assert.equal(malformed.status, 200, 'a malformed traceparent is ignored, not refused');
      assert.deepEqual(await logLines(pontoon, malformed.body.id, 1), ['TRACEPARENT=unset TRACESTATE=unset']);
    } finally {
      await pontoon.close();
      await receiver.stop();
    }
    assert.equal(receiver.requests, 0);
  });
});
