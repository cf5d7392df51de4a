import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { PontoonApiError, PontoonClient, type LogLine } from '../../src/client/index.js';
import { startTinyServer } from './tiny-server.js';

function line(seq: number): LogLine {
  return { seq, attempt: 1, time: new Date(0).toISOString(), stream: 'stdout', line: `line ${seq}` };
}

function event(name: string, data: unknown, id?: number): string {
  return `event: ${name}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`;
}

describe('following logs over server-sent events', () => {
  let app: FastifyInstance;
  let client: PontoonClient;
  const lastEventIds: Array<string | undefined> = [];
  let missingRequests = 0;

  before(async () => {
    const server = await startTinyServer((app) => {
      // Drops the connection after two lines on the first request; the second must resume after seq 2.
      app.get('/v1/namespaces/default/executions/flaky/logs', (request, reply) => {
        const lastEventId = request.headers['last-event-id'] as string | undefined;
        lastEventIds.push(lastEventId);
        reply.hijack();
        reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
        if (lastEventId === undefined) {
          reply.raw.write(': a comment the parser must skip\n\n');
          reply.raw.write(event('log', line(1), 1) + event('log', line(2), 2));
          setTimeout(() => reply.raw.destroy(), 50);
          return;
        }
        // Sends seq 2 again: a follower must not hand out a line twice.
        const after = Number(lastEventId);
        for (const seq of [2, 3, 4].filter((seq) => seq >= after)) reply.raw.write(event('log', line(seq), seq));
        reply.raw.end(event('end', { status: 'succeeded' }));
      });
      app.get('/v1/namespaces/default/executions/missing/logs', async (_request, reply) => {
        missingRequests++;
        return reply.status(404).send({ error: { code: 'EXECUTION_NOT_FOUND', message: 'execution missing not found' } });
      });
    });
    app = server.app;
    client = new PontoonClient({ url: server.url });
  });

  after(() => app.close());

  it('resumes a dropped stream with Last-Event-ID and yields every line once, then ends with the status', async () => {
    const follower = client.followLogs('flaky', { reconnectDelayMs: 20, maxReconnects: 3 });
    const lines: string[] = [];
    for await (const entry of follower) lines.push(entry.line);
    assert.deepEqual(lines, ['line 1', 'line 2', 'line 3', 'line 4']);
    assert.deepEqual(lastEventIds, [undefined, '2']);
    assert.equal(follower.endStatus, 'succeeded');
    assert.equal(follower.lastSeq, 4);
  });

  it('throws an API error at once instead of reconnecting', async () => {
    await assert.rejects(
      (async () => {
        for await (const _entry of client.followLogs('missing', { reconnectDelayMs: 20 })) assert.fail('no line expected');
      })(),
      (error: unknown) => error instanceof PontoonApiError && error.code === 'EXECUTION_NOT_FOUND',
    );
    assert.equal(missingRequests, 1);
  });
});
