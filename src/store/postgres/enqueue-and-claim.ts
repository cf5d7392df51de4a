import type { ClaimedAttempt, Enqueued, FunctionClaimOptions, NewExecution } from '../store.js';
import { claimFunctionExecutionsIn } from './claim-function-executions.js';
import { transaction, type Pool } from './connection.js';
import { insertExecutionsIn } from './enqueue-executions.js';
import { notifyWake } from './notify.js';

/**
 * The direct handoff (Store.enqueueAndClaimFunction): the enqueue and the warm replica's claim in
 * one transaction, BEGIN and COMMIT once for both (two round trips fewer than one after the other).
 * The enqueue holds the function's row FOR KEY SHARE, and the claim's FOR NO KEY UPDATE of that
 * row is the same lock order as a claim's alone, so it waits on the same rows as a claim would.
 * The claim is the usual one, after the rows are in: best ready first, within parallelism and
 * the function's controls. The `ready` notification is sent only when an execution this call
 * created is still queued after the claim: one the replica started is no news to the other
 * controllers, and a NOTIFY costs a round trip and serializes the commit (PostgreSQL holds a
 * global lock across a notifying commit).
 */
export async function enqueueAndClaimFunction(pool: Pool, requests: NewExecution[], now: string, claim: FunctionClaimOptions): Promise<{ enqueued: Enqueued[]; claimed: ClaimedAttempt[] }> {
  return transaction(pool, async (client) => {
    const enqueued = await insertExecutionsIn(client, requests, now);
    const claimed = await claimFunctionExecutionsIn(client, claim);
    const started = new Set(claimed.map((each) => each.execution.id));
    if (enqueued.some((each) => each.created && !started.has(each.execution.id))) await notifyWake(client, 'ready');
    return { enqueued, claimed };
  }, undefined, { genericPlans: true });
}
