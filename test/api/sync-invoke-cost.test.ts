import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startTestPontoon } from '../helpers/pontoon.js';

/** A sync invoke over node:http on a keep-alive connection (fetch would build AbortControllers of its own). */
function syncInvoke(server: { hostname: string; port: string }, agent: Agent, input: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(input);
    // Options rather than a URL string: node:http would parse that string into a URL per request.
    const req = request({ hostname: server.hostname, port: server.port, path: '/v1/namespaces/default/functions/noop/invoke?wait=30s', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

describe('the cost of a sync invoke of a warm function', () => {
  it('builds no AbortController per invoke (the caller’s and the replica’s hang-ups are plain close listeners) and parses no URL (the Host check remembers its header)', async () => {
    const source = mkdtempSync(join(tmpdir(), 'pontoon-sync-cost-'));
    writeFileSync(join(source, 'noop.js'), 'export function handler(input) { return input; }\n');
    const pontoon = await startTestPontoon();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const Original = globalThis.AbortController;
    const OriginalUrl = globalThis.URL;
    const server = new URL(pontoon.url);
    try {
      const deployed = await pontoon.deploy('noop', { runtime: 'node', source, handler: 'noop.handler', warm: { min: 1, max: 1, concurrency: 4 } });
      assert.equal(deployed.status, 201);
      for (let round = 0; round < 3; round++) assert.equal((await syncInvoke(server, agent, round)).body.status, 'succeeded');
      let built = 0;
      let parsed = 0;
      globalThis.AbortController = class extends Original {
        constructor() {
          super();
          built += 1;
        }
      };
      globalThis.URL = class extends OriginalUrl {
        constructor(...args: ConstructorParameters<typeof URL>) {
          super(...args);
          parsed += 1;
        }
      };
      const rounds = 20;
      for (let round = 0; round < rounds; round++) {
        const { status, body } = await syncInvoke(server, agent, { round });
        assert.equal(status, 200);
        assert.deepEqual(body.result, { round });
      }
      globalThis.AbortController = Original;
      globalThis.URL = OriginalUrl;
      // Before: three per invoke (the caller's wait, the replica's long poll and its results post).
      assert.ok(built < rounds, `${built} AbortControllers for ${rounds} sync invokes`);
      // Before: one per invoke, the Host header's.
      assert.ok(parsed < rounds, `${parsed} URLs parsed for ${rounds} sync invokes`);
    } finally {
      globalThis.AbortController = Original;
      globalThis.URL = OriginalUrl;
      agent.destroy();
      await pontoon.close();
      rmSync(source, { recursive: true, force: true });
    }
  });
});
