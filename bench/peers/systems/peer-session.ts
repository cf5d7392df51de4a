/** What the systems' sessions share: bulk inserts in chunks (all three), and run-one over a peer's worker child (BullMQ, Graphile Worker). */
import type { WorkerChild } from './peer-process.js';

/** Jobs per bulk insert request, as Pontoon's session and bench/lib/server.ts insert them. */
export const insertChunk = 2_000;

/** Inserts `count` jobs through `insertBatch`, `insertChunk` at a time, each chunk acknowledged before the next. */
export async function insertInChunks(count: number, insertBatch: (size: number) => Promise<unknown>): Promise<void> {
  for (let done = 0; done < count; ) {
    const size = Math.min(insertChunk, count - done);
    await insertBatch(size);
    done += size;
  }
}

/** Submits one job and resolves with its id once the worker child reported it finished. */
export async function runOneOn(worker: WorkerChild, submitOne: () => Promise<string>): Promise<string> {
  const id = await submitOne();
  await worker.finishedJob(id);
  return id;
}
