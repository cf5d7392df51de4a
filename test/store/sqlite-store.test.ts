import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { migrations } from '../../src/store/sqlite/migrations/index.js';
import { at, completion, enqueueMany, functionDocument, refOf } from './conformance/fixtures.js';
import { fileFromNewerPontoon, freshStoreFile } from './sqlite-files.js';
import { runStoreConformance } from './store-conformance.js';

runStoreConformance('sqlite', async () => openSqliteStore({ file: freshStoreFile() }));

describe('SQLite store', () => {
  it('keeps its state across close and reopen of the file', async () => {
    const file = freshStoreFile();
    const first = openSqliteStore({ file, synchronous: 'full' });
    await first.putFunction(functionDocument('report'));
    const ids = await enqueueMany(first, 'report', 3);
    const [claimed] = await first.claimExecutions({ owner: 'a', now: at(1), leaseMs: 30_000, limit: 1 });
    await first.appendLogs(refOf(claimed), [{ time: at(2), stream: 'stdout', line: 'hello' }]);
    await first.completeAttempt(completion(refOf(claimed), { result: { ok: true } }));
    const before = await Promise.all(ids.map((id) => first.getExecution(id)));
    await first.close();

    const reopened = openSqliteStore({ file });
    try {
      assert.deepEqual(await Promise.all(ids.map((id) => reopened.getExecution(id))), before);
      assert.equal((await reopened.getFunction('default', 'report'))?.version, 1);
      assert.equal((await reopened.readLogs(ids[0], { limit: 10 }))[0].line, 'hello');
      const next = await reopened.claimExecutions({ owner: 'b', now: at(3), leaseMs: 30_000, limit: 5 });
      assert.deepEqual(
        next.map((attempt) => attempt.execution.id),
        ids.slice(1),
      );
      const more = await enqueueMany(reopened, 'report', 1);
      const page = await reopened.listExecutions({ namespace: 'default', limit: 1 });
      assert.equal(page.items[0].id, more[0], 'seqs continue after reopening');
    } finally {
      await reopened.close();
    }
  });

  it('applies each migration once, however often the file is opened', async () => {
    const file = freshStoreFile();
    for (let round = 0; round < 3; round++) {
      const store = openSqliteStore({ file });
      await store.putFunction(functionDocument(`fn-${round}`));
      await store.close();
    }
    const db = new Database(file, { readonly: true });
    try {
      const applied = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
      assert.deepEqual(
        applied,
        migrations.map((migration) => ({ version: migration.version, name: migration.name })),
      );
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }
  });

  it('returns an execution keyed before request fingerprints (migration 3) for any repeat of its key, as before', async () => {
    const file = freshStoreFile();
    const store = openSqliteStore({ file });
    await store.putFunction(functionDocument('report'));
    const [first] = await store.enqueueExecutions([{ namespace: 'default', function: 'report', input: 1, idempotencyKey: 'old' }], at(0));
    await store.close();
    const db = new Database(file);
    db.prepare('UPDATE executions SET request_fingerprint = NULL').run();
    db.close();
    const reopened = openSqliteStore({ file });
    try {
      const [repeat] = await reopened.enqueueExecutions([{ namespace: 'default', function: 'report', input: 2, idempotencyKey: 'old' }], at(5));
      assert.deepEqual([repeat.created, repeat.matchesRequest, repeat.execution.id], [false, true, first.execution.id]);
    } finally {
      await reopened.close();
    }
  });

  it('refuses a file migrated by a newer Pontoon', async () => {
    const file = await fileFromNewerPontoon();
    assert.throws(() => openSqliteStore({ file }), /schema version 999/);
  });

  it('lets two stores on one file share the queue and its parallelism', async () => {
    const file = freshStoreFile();
    const one = openSqliteStore({ file });
    const two = openSqliteStore({ file });
    try {
      await one.putFunction(functionDocument('report', { parallelism: 3 }));
      const ids = await enqueueMany(two, 'report', 6);
      const claims = await Promise.all(
        ['a', 'b', 'c', 'd'].map((owner, index) => (index % 2 ? one : two).claimExecutions({ owner, now: at(1), leaseMs: 30_000, limit: 2 })),
      );
      const claimed = claims.flat();
      assert.equal(claimed.length, 3);
      assert.equal(new Set(claimed.map((attempt) => attempt.execution.id)).size, 3);
      assert.equal((await one.countExecutions()).running, 3);
      await two.completeAttempt(completion(refOf(claimed[0])));
      assert.equal((await one.getExecution(claimed[0].execution.id))?.status, 'succeeded');
      assert.equal((await one.claimExecutions({ owner: 'a', now: at(2), leaseMs: 30_000, limit: 5 })).length, 1);
      assert.equal((await two.countExecutions()).queued, ids.length - 4);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('lets two processes enqueue into one file at the same time without losing an execution', async () => {
    const file = freshStoreFile();
    const setup = openSqliteStore({ file });
    await setup.putFunction(functionDocument('report'));
    await setup.close();

    const storeModule = fileURLToPath(new URL('../../src/store/sqlite/sqlite-store.js', import.meta.url));
    const script = `
      const { openSqliteStore } = await import(${JSON.stringify(storeModule)});
      const store = openSqliteStore({ file: process.argv[1] });
      for (let batch = 0; batch < 20; batch++) {
        const requests = Array.from({ length: 10 }, (_, i) => ({ namespace: 'default', function: 'report', input: { who: process.argv[2], batch, i } }));
        await store.enqueueExecutions(requests, new Date().toISOString());
        await store.claimExecutions({ owner: process.argv[2], now: new Date().toISOString(), leaseMs: 30000, limit: 3 });
      }
      await store.close();
    `;
    const runChild = (name: string) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script, file, name], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.on('error', reject);
        child.on('exit', (code) => {
          clearTimeout(timer);
          if (code === 0) resolve();
          else reject(new Error(`child ${name} exited with ${code}: ${stderr}`));
        });
      });
    await Promise.all([runChild('p1'), runChild('p2')]);

    const store = openSqliteStore({ file });
    try {
      const counts = await store.countExecutions('default', 'report');
      assert.equal(counts.queued + counts.running, 400);
      assert.equal(counts.running, 10, 'parallelism 10 held across both processes');
    } finally {
      await store.close();
    }
  });
});
