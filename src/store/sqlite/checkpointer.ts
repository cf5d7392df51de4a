import { Worker } from 'node:worker_threads';
import type { Db, Synchronous } from './connection.js';
import type { CheckpointWorkerData } from './checkpoint-worker.js';

/** How often the background thread looks for frames to copy when the WAL was caught up. */
const IDLE_MS = 20;

/**
 * Frames at which the store's own connection checkpoints inside a commit (SQLite's default is
 * 1,000), once the thread copies: about 40 MB of WAL at most, which the WAL file keeps as its
 * size until the store closes. Under steady writes the thread rarely finds a gap between two
 * commits to finish in, so the WAL is seldom started over and reached 1,000 frames several
 * times a second (open loop at 1,000 invokes/s: 27 checkpoints in 5 s on the store's thread,
 * each an fsync of the WAL, a copy and an fsync of the database, 2 to 5 ms during which every
 * store call waits; it was most of the open loop's p99). At 10,000 it checkpointed 3 times in
 * those 5 s, and the p99 of submit-to-start went from 5 ms to 3-4 (three alternating pairs).
 */
const WRITER_CHECKPOINT_FRAMES = 10_000;

/** Stops a background checkpointer; resolves once its thread has ended. */
export type StopCheckpointer = () => Promise<void>;

/**
 * Copies the WAL of the store's file back into the database from a thread with its own
 * connection, ahead of SQLite's own checkpoint. SQLite checkpoints inside the commit that crosses
 * 1,000 WAL frames: it copies the frames into the database and fsyncs both, tens of ms on this
 * machine's disk during which every request waits (the sync invoke's p99). With this thread the
 * pages are mostly copied and synced already when that commit comes, so its checkpoint is short;
 * when the server pauses, the thread copies the whole WAL and the next commit starts it over
 * without checkpointing at all. SQLite's own checkpoint stays on, later (WRITER_CHECKPOINT_FRAMES):
 * a thread that falls behind or fails never lets the WAL grow past that.
 */
export function startCheckpointer(db: Db, file: string, synchronous: Synchronous): StopCheckpointer {
  db.pragma(`wal_autocheckpoint = ${WRITER_CHECKPOINT_FRAMES}`);
  const workerData: CheckpointWorkerData = { file, synchronous: synchronous === 'full' ? 'FULL' : 'NORMAL', idleMs: IDLE_MS };
  const worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData });
  // The thread must never keep the process alive, nor take it down: if it fails, SQLite's own
  // checkpoints do the work alone, as they would without it.
  worker.unref();
  let failed = false;
  worker.on('error', () => {
    failed = true;
  });
  // Ends the thread between two passes (a pass under way finishes first); better-sqlite3 closes
  // the thread's connection as the thread exits, so the store's own close is the file's last and
  // leaves no WAL behind.
  return async () => {
    if (!failed) await worker.terminate();
  };
}
