import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Context, ENV } from '../src/index.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'fixture.js');
const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('the trace context of an attempt', () => {
  it('reads TRACEPARENT and TRACESTATE from the environment, with the trace id', () => {
    const ctx = Context.fromEnv({ [ENV.traceparent]: traceparent, [ENV.tracestate]: 'vendor=abc' });
    assert.equal(ctx.traceparent, traceparent);
    assert.equal(ctx.tracestate, 'vendor=abc');
    assert.equal(ctx.traceId, '0af7651916cd43dd8448eb211c80319c');
  });

  it('has none when the execution has no trace, and ignores a malformed traceparent with its tracestate', () => {
    for (const env of [{}, { [ENV.traceparent]: '00-xyz-01', [ENV.tracestate]: 'a=1' }, { [ENV.traceparent]: '00-00000000000000000000000000000000-b7ad6b7169203331-01' }]) {
      const ctx = Context.fromEnv(env);
      assert.deepEqual([ctx.traceparent, ctx.tracestate, ctx.traceId], [undefined, undefined, undefined], JSON.stringify(env));
    }
  });

  it('is what a cold run’s handler sees, from its TRACEPARENT', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pontoon-sdk-trace-'));
    try {
      writeFileSync(join(dir, 'input.json'), 'null');
      const child = spawnSync(process.execPath, [fixture, 'trace'], {
        env: { PATH: process.env.PATH, PONTOON_INPUT: join(dir, 'input.json'), PONTOON_OUTPUT: join(dir, 'output.json'), TRACEPARENT: traceparent },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(child.status, 0, child.stderr);
      assert.deepEqual(JSON.parse(readFileSync(join(dir, 'output.json'), 'utf8')), { traceparent, tracestate: null, traceId: '0af7651916cd43dd8448eb211c80319c' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is, in a warm replica, the traceparent each invocation carries: one per invocation, none without', async () => {
    const handedOut = [
      { id: 'e1#1', executionId: 'e1', attempt: 1, deadline: new Date(Date.now() + 60_000).toISOString(), input: null, traceparent, tracestate: 'vendor=abc' },
      { id: 'e2#1', executionId: 'e2', attempt: 1, deadline: new Date(Date.now() + 60_000).toISOString(), input: null },
    ];
    const results: any[] = [];
    let next = 0;
    // A runtime API as docs/warm-replicas.md has it: both invocations, then 410 once their results are in.
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const json = (status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        if (request.url?.startsWith('/v1/invocations/next')) {
          if (next++ === 0) return json(200, { invocations: handedOut });
          if (results.length < handedOut.length) return void setTimeout(() => response.writeHead(204).end(), 100);
          return json(410, { error: { code: 'REPLICA_DRAINING', message: 'drained', details: {} } });
        }
        if (request.url?.startsWith('/v1/invocations/results')) {
          const posted = JSON.parse(Buffer.concat(chunks).toString('utf8')).results;
          results.push(...posted);
          return json(200, { accepted: posted.map((result: any) => result.id), rejected: [], invocations: [], draining: results.length >= handedOut.length });
        }
        json(404, {});
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const child = spawn(process.execPath, [fixture, 'trace'], {
        env: {
          PATH: process.env.PATH,
          PONTOON_RUNTIME_API: `127.0.0.1:${port}`,
          PONTOON_REPLICA_TOKEN: 't',
          PONTOON_REPLICA_PROTOCOL: '1',
          PONTOON_REPLICA_CONCURRENCY: '2',
          PONTOON_FUNCTION: 'traced',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.once('exit', (exitCode) => {
          clearTimeout(timer);
          resolve(exitCode);
        });
      });
      assert.equal(code, 0, stderr);
      const byId = Object.fromEntries(results.map((result) => [result.id, result]));
      assert.deepEqual(byId['e1#1'], { id: 'e1#1', status: 'succeeded', result: { traceparent, tracestate: 'vendor=abc', traceId: '0af7651916cd43dd8448eb211c80319c' } });
      assert.deepEqual(byId['e2#1'], { id: 'e2#1', status: 'succeeded', result: { traceparent: null, tracestate: null, traceId: null } });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
