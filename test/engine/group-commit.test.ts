import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PontoonError } from '../../src/domain/errors.js';
import type { Engine } from '../../src/engine/engine.js';
import { createRuntimes } from '../../src/runtimes/registry.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { NewExecution, Store } from '../../src/store/store.js';
import { localEngine } from '../helpers/engine.js';
import { dropSchemas, freshSchema, testPgUrl } from '../helpers/postgres.js';

const stores: [string, (dir: string) => Promise<Store>][] = [
  ['SQLite', async (dir) => openSqliteStore({ file: join(dir, 'pontoon.db') })],
  ['PostgreSQL', async () => openPostgresStore({ url: testPgUrl!, schema: freshSchema('group') })],
];

for (const [storeName, open] of stores) {
  describe(`invocations arriving together (group commit) on ${storeName}`, { skip: storeName === 'PostgreSQL' && !testPgUrl ? 'PONTOON_TEST_PG_URL is not set' : undefined }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'pontoon-group-commit-'));
    let store: Store;
    /** Calls of store.enqueueExecutions, with how many requests each carried. */
    const calls: number[] = [];
    let engine: Engine;
    const invokeOne = (request: Partial<NewExecution> & { input: unknown }) => engine.invoke([{ namespace: 'default', function: 'plain', ...request }]).then(([enqueued]) => enqueued);

    before(async () => {
      store = await open(dir);
      const counted = new Proxy(store, {
        get(target, property, receiver) {
          if (property !== 'enqueueExecutions') return Reflect.get(target, property, receiver);
          return (requests: NewExecution[], now: string) => {
            calls.push(requests.length);
            return target.enqueueExecutions(requests, now);
          };
        },
      });
      engine = localEngine({ store: counted, runtimes: createRuntimes({ cacheDir: join(dir, 'builds') }), workRoot: join(dir, 'work') });
      const deploy = (name: string, spec: Record<string, unknown>) =>
        engine.deploy({ apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name }, spec: { runtime: 'command', command: ['true'], ...spec } });
      await deploy('plain', {});
      await deploy('per-tenant', { concurrency: { key: '/tenant', limit: 1 } });
      // Not started: the invocations stay queued, which is all these tests look at.
    });
    after(async () => {
      await store.close();
      if (storeName === 'PostgreSQL') await dropSchemas();
      rmSync(dir, { recursive: true, force: true });
    });

    it('are stored in fewer store calls than requests, each caller answered with its own execution', async () => {
      calls.length = 0;
      const answers = await Promise.all(Array.from({ length: 50 }, (_, index) => invokeOne({ input: { index } })));
      assert.ok(calls.length < 50, `${calls.length} enqueue calls for 50 invocations`);
      assert.equal(calls.reduce((sum, size) => sum + size, 0), 50);
      assert.equal(new Set(answers.map((answer) => answer.execution.id)).size, 50);
      for (const [index, answer] of answers.entries()) {
        assert.deepEqual(answer.execution.input, { index });
        assert.equal(answer.created, true);
        // Durable when answered: the store has it as the caller was told.
        assert.deepEqual((await store.getExecution(answer.execution.id))?.input, { index });
      }
    });

    it('fail one by one: an unknown function or a refused input fails its own request, not the others', async () => {
      calls.length = 0;
      const results = await Promise.allSettled([
        invokeOne({ input: 1 }),
        invokeOne({ function: 'missing', input: 2 }),
        invokeOne({ function: 'per-tenant', input: { tenant: 'x'.repeat(300) } }),
        invokeOne({ function: 'per-tenant', input: { tenant: 'a' } }),
        invokeOne({ input: 5 }),
      ]);
      const codes = results.map((result) => (result.status === 'rejected' ? (result.reason as PontoonError).code : 'stored'));
      assert.deepEqual(codes, ['stored', 'FUNCTION_NOT_FOUND', 'INVALID_INPUT', 'stored', 'stored']);
      for (const result of results) {
        if (result.status === 'fulfilled') assert.equal((await store.getExecution(result.value.execution.id))?.status, 'queued');
      }
      // Tried together first, then without the unknown function, then one by one.
      assert.equal(calls[0], 5);
    });

    it('keep a batch all-or-nothing and idempotency keys exact within one group', async () => {
      const [batch, alone, first, repeat, reused] = await Promise.allSettled([
        engine.invoke([
          { namespace: 'default', function: 'plain', input: 'in batch' },
          { namespace: 'default', function: 'missing', input: 'sinks its batch' },
        ]),
        invokeOne({ input: 'alone' }),
        invokeOne({ input: 'keyed', idempotencyKey: 'k-1' }),
        invokeOne({ input: 'keyed', idempotencyKey: 'k-1' }),
        invokeOne({ input: 'other', idempotencyKey: 'k-1' }),
      ]);
      assert.equal(batch.status, 'rejected');
      assert.equal((batch.reason as PontoonError).code, 'FUNCTION_NOT_FOUND');
      const page = await store.listExecutions({ namespace: 'default', function: 'plain', limit: 500 });
      assert.ok(!page.items.some((execution) => execution.input === 'in batch'), 'a batch with an unknown function stores nothing');
      assert.equal(alone.status, 'fulfilled');
      assert.ok(first.status === 'fulfilled' && repeat.status === 'fulfilled' && reused.status === 'fulfilled');
      assert.equal(first.value.created, true);
      assert.equal(repeat.value.execution.id, first.value.execution.id);
      assert.equal(repeat.value.created, false);
      assert.equal(repeat.value.matchesRequest, true);
      assert.equal(reused.value.execution.id, first.value.execution.id);
      assert.equal(reused.value.matchesRequest, false);
    });
  });
}
