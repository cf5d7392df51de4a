import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { PontoonError } from '../../src/domain/errors.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { openThreadedSqliteStore } from '../../src/store/sqlite/threaded-store.js';
import { at, enqueueMany, functionDocument } from './conformance/fixtures.js';
import { fileFromNewerPontoon, freshStoreFile } from './sqlite-files.js';
import { runStoreConformance } from './store-conformance.js';

runStoreConformance('sqlite on its own thread', () => openThreadedSqliteStore({ file: freshStoreFile() }));

describe('SQLite store on its own thread', () => {
  it('runs its statements off the main thread: timers fire while a long enqueue is under way', async () => {
    const store = await openThreadedSqliteStore({ file: freshStoreFile() });
    try {
      await store.putFunction(functionDocument('report'));
      const requests = Array.from({ length: 20_000 }, (_, i) => ({ namespace: 'default', function: 'report', input: { i } }));
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      const enqueued = await store.enqueueExecutions(requests, at(0));
      clearInterval(timer);
      assert.equal(enqueued.length, 20_000);
      // On the main thread the whole transaction runs inside the call, before any timer can fire.
      assert.ok(ticks >= 3, `the main thread's timers fired ${ticks} times during the enqueue`);
    } finally {
      await store.close();
    }
  });

  it('rejects with the error class and code the store threw on its thread', async () => {
    const store = await openThreadedSqliteStore({ file: freshStoreFile() });
    try {
      const refused = await store.enqueueExecutions([{ namespace: 'default', function: 'absent', input: null }], at(0)).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      assert.ok(refused instanceof PontoonError, `${refused}`);
      assert.equal(refused.code, 'FUNCTION_NOT_FOUND');
      assert.equal(refused.status, 404);
      assert.deepEqual(refused.details, { namespace: 'default', name: 'absent' });
      assert.match(refused.stack ?? '', /enqueue-executions/, 'the stack is where it was thrown');
    } finally {
      await store.close();
    }
  });

  it('rejects opening a file it cannot use with the error the store threw', async () => {
    const file = await fileFromNewerPontoon();
    await assert.rejects(openThreadedSqliteStore({ file }), /schema version 999/);
  });

  it('reports SQLite errors as SqliteError with their code', async () => {
    const file = freshStoreFile();
    const store = await openThreadedSqliteStore({ file });
    const locker = new Database(file);
    try {
      await store.putFunction(functionDocument('report'));
      // Another connection holds the write lock past the store's busy timeout (5 s).
      locker.exec('BEGIN EXCLUSIVE');
      const refused = await enqueueMany(store, 'report', 1).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      assert.ok(refused instanceof Database.SqliteError, `${refused}`);
      assert.equal(refused.code, 'SQLITE_BUSY');
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
      await store.close();
    }
  });

  it('closes the file consistent: a store opened after close reads everything, and no WAL is left', async () => {
    const file = freshStoreFile();
    const store = await openThreadedSqliteStore({ file });
    await store.putFunction(functionDocument('report'));
    const ids = await enqueueMany(store, 'report', 50);
    await store.close();
    assert.equal(existsSync(`${file}-wal`), false, 'the last connection closed checkpoints and removes the WAL');
    await assert.rejects(store.getExecution(ids[0]), /closed/);
    const reopened = openSqliteStore({ file });
    try {
      assert.equal((await reopened.countExecutions('default', 'report')).queued, 50);
    } finally {
      await reopened.close();
    }
  });
});
