/**
 * The batching Graphile Worker's docs' performance page runs with (worker.graphile.org/docs/performance):
 * jobs fetched 500 at a time into a local queue, completions and failures settled in batches. Its
 * own module so that Pontoon's prefetch form can match it without loading graphile-worker.
 */
export const graphileBatching = { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } };
