/**
 * The body of the background checkpointer's thread (see checkpointer.ts): its own connection to
 * the store's file, copying the WAL back into the database whenever the WAL has frames the
 * database lacks.
 */
import Database from 'better-sqlite3';
import { workerData } from 'node:worker_threads';

/** What checkpointer.ts hands this thread. */
export interface CheckpointWorkerData {
  file: string;
  synchronous: 'NORMAL' | 'FULL';
  idleMs: number;
}

/** One row of `PRAGMA wal_checkpoint`: frames in the WAL, and how many are in the database. */
interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

const { file, synchronous, idleMs } = workerData as CheckpointWorkerData;
const db = new Database(file);
db.pragma(`synchronous = ${synchronous}`);
// This connection only checkpoints: it must never checkpoint on its own commits either.
db.pragma('wal_autocheckpoint = 0');

function checkpoint(): void {
  const [result] = db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[];
  // Frames the writer added while this pass copied: go again at once, so that the WAL is fully
  // copied in some gap between two commits; only then may the next writer restart it from the top.
  const behind = result.log > 0 && result.checkpointed < result.log;
  setTimeout(checkpoint, behind ? 0 : idleMs);
}

checkpoint();
