import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { functionDocument } from './conformance/fixtures.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * The WAL header's checkpoint sequence number: SQLite adds one each time a writer starts the WAL
 * over, which it does only after a checkpoint copied all of it into the database.
 */
function walRestarts(file: string): number {
  const header = Buffer.alloc(16);
  const fd = openSync(`${file}-wal`, 'r');
  try {
    readSync(fd, header, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  return header.readUInt32BE(12);
}

const enqueueOne = (store: SqliteStore, i: number) =>
  store.enqueueExecutions([{ namespace: 'default', function: 'noop', input: { i, padding: 'x'.repeat(3000) } }], new Date().toISOString());

describe('SQLite background checkpoints', () => {
  it('copies the WAL back from a thread of its own while the server pauses, so that the next commit starts the WAL over without checkpointing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pontoon-checkpoint-'));
    dirs.push(dir);
    const file = join(dir, 'pontoon.db');
    const store = openSqliteStore({ file });
    await store.putFunction(functionDocument('noop'));
    // A few hundred frames: well under the 1,000 at which SQLite would checkpoint inside a commit by default.
    for (let i = 0; i < 40; i++) await enqueueOne(store, i);
    const before = walRestarts(file);
    await sleep(500);
    await enqueueOne(store, 40);
    assert.ok(walRestarts(file) > before, 'the WAL was not started over: nothing copied it back while the store was idle');
    const executions = await store.listExecutions({ namespace: 'default', function: 'noop', limit: 100 });
    assert.equal(executions.items.length, 41);
    await store.close();
    assert.equal(existsSync(`${file}-wal`), false, 'closing left a WAL behind: a connection is still open');
  });
});
