import type { ClaimedAttempt, Enqueued, FunctionClaimOptions, NewExecution } from '../store.js';
import { claimFunctionExecutionsIn } from './claim-function-executions.js';
import { transaction, type Pool } from './connection.js';
import { enqueueIn } from './enqueue-executions.js';

/**
 * The direct handoff (Store.enqueueAndClaimFunction): the enqueue and the warm replica's claim in
 * one transaction, BEGIN and COMMIT once for both (two round trips fewer than one after the other).
 * The enqueue holds the function's row FOR KEY SHARE, and the claim's FOR NO KEY UPDATE of that
 * row is the same lock order as a claim's alone, so it waits on the same rows as a claim would.
 * The claim is the usual one, after the rows are in: best ready first, within parallelism and
 * the function's controls.
 */
export async function enqueueAndClaimFunction(pool: Pool, requests: NewExecution[], now: string, claim: FunctionClaimOptions): Promise<{ enqueued: Enqueued[]; claimed: ClaimedAttempt[] }> {
  return transaction(pool, async (client) => {
    const enqueued = await enqueueIn(client, requests, now);
    return { enqueued, claimed: await claimFunctionExecutionsIn(client, claim) };
  }, undefined, { genericPlans: true });
}
