import type { ClaimedAttempt, Enqueued, FunctionClaimOptions, NewExecution } from '../store.js';
import { claimFunctionExecutions } from './claim-function-executions.js';
import { writeTransaction, type Db } from './connection.js';
import { enqueueExecutions } from './enqueue-executions.js';

/**
 * The direct handoff (Store.enqueueAndClaimFunction): the enqueue and the warm replica's claim in
 * one write transaction, so an invoke of a function whose replica waits is started with one
 * commit, not two. The claim is the replica's usual one, run after the rows are in: it takes the
 * function's best ready executions within its parallelism, rate limit and concurrency keys, so
 * an older or higher-priority execution still goes first. Each inner transaction becomes a
 * savepoint of this one; an enqueue that fails leaves nothing, claim included.
 */
export function enqueueAndClaimFunction(db: Db, requests: NewExecution[], now: string, claim: FunctionClaimOptions): { enqueued: Enqueued[]; claimed: ClaimedAttempt[] } {
  return writeTransaction(db, () => {
    const enqueued = enqueueExecutions(db, requests, now);
    return { enqueued, claimed: claimFunctionExecutions(db, claim) };
  });
}
