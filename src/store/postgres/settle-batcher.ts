import type { AttemptCompletion, ClaimedAttempt, ClaimOptions } from '../store.js';
import { claimExecutions } from './claim-executions.js';
import { completeAttempts, freedSlotsNews, type Settled } from './complete-attempts.js';
import type { Pool } from './connection.js';

/*
 * Why settlements and claims are batched on PostgreSQL (issue 16: the cold path on PostgreSQL
 * ran at 0.21x the SQLite one).
 *
 * Measured with bench/pg-round-trips.ts (no-op `command` executions, parallelism 8, PostgreSQL 15
 * with its durable defaults, fsync and synchronous_commit on, on the 2-core shared VM under heavy
 * load from other work, so rates vary by 1.5x between runs): before, 17.8 statements and 3.1
 * commits per execution, one NOTIFY each, and 229 ms per execution spent in the claim's first
 * statement waiting for the function's row lock. Each attempt's end ran a settle transaction and
 * then a claim transaction, and a claim holds the function's row lock (how parallelism holds
 * across controllers, see claim-executions.ts) through its COMMIT, that is through a WAL flush to
 * disk: the claims of eight ending attempts queued behind each other one flush at a time. The
 * settle transactions' NOTIFY serialized their commits as well (PostgreSQL holds a global lock
 * across a notifying commit).
 *
 * Now every settlement and claim of the store goes through one queue: the calls that arrive
 * while a batch runs form the next batch. A batch of one controller (the usual case) is one
 * transaction: lock the functions with ready work, settle every attempt of the batch (each fenced
 * as before, executions locked in id order after the function locks, the order claims and a
 * function's delete follow), count the slots, claim for all of them. Other batches settle in one
 * transaction and claim per owner. One flush per batch instead of two per attempt; an attempt that
 * ends on an idle controller goes at once, alone, as before. After: 7.7 statements and 0.7
 * commits per execution, no NOTIFY, no lock wait; 41-70 executions/s against 20-39 before, the
 * same runs alternating. A batch's finishing attempts then settle in three statements in all
 * (settleAttempts in complete-attempts.ts, the settlement warm replicas' batches use too): 6.3
 * statements per execution. Against the SQLite store in the same run (bench:peers burn-down of 3,000, 3 rounds, medians): 238 against 309
 * executions/s (0.77x) after, 71 against 332 (0.21x) before.
 *
 * The `freed` NOTIFY tells other controllers that a function has a free slot. It is news only
 * when the batch left one (freedSlotsNews in complete-attempts.ts has the rule). Notifying every batch woke this
 * controller's own dispatcher too, whose claims then queued for the function's lock beside the
 * batch's (measured: 0.8 NOTIFY and 0.3 claims per execution, against none and 0.27 without).
 * A wake-up is only ever a hint: a controller that misses one claims on its next poll.
 */

/** A call waiting for the next batch: a settlement, a claim, or both. */
interface Waiting {
  completion?: AttemptCompletion;
  claim?: ClaimOptions;
  /** Filled in by the batch's settlement. */
  settled?: Settled;
  resolve(result: { applied: boolean; claimed: ClaimedAttempt[] }): void;
  reject(error: unknown): void;
}

/**
 * Settles attempts and claims ready executions for this store's controllers, batching the calls
 * that arrive while a batch runs: one settle transaction and one claim per owner for all of them.
 */
export class SettleBatcher {
  private waiting: Waiting[] = [];
  private running = false;

  constructor(private readonly pool: Pool) {}

  /** Settles the attempt, then claims up to `claim.limit` ready executions; answers as completeAttempt and claimExecutions would. */
  completeAndClaim(completion: AttemptCompletion, claim: ClaimOptions): Promise<{ applied: boolean; claimed: ClaimedAttempt[] }> {
    return this.enqueue({ completion, claim });
  }

  /** Settles the attempt; true when it applied (see completeAttempt). */
  async complete(completion: AttemptCompletion): Promise<boolean> {
    return (await this.enqueue({ completion })).applied;
  }

  /** Claims up to `claim.limit` ready executions (see claimExecutions). */
  async claim(claim: ClaimOptions): Promise<ClaimedAttempt[]> {
    if (claim.limit <= 0) return [];
    return (await this.enqueue({ claim })).claimed;
  }

  private enqueue(call: Pick<Waiting, 'completion' | 'claim'>): Promise<{ applied: boolean; claimed: ClaimedAttempt[] }> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ ...call, resolve, reject });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.waiting.length > 0) await this.run(this.waiting.splice(0));
    } finally {
      this.running = false;
    }
  }

  private async run(batch: Waiting[]): Promise<void> {
    const owners = new Set(batch.flatMap((entry) => (entry.claim ? [claimKey(entry.claim)] : [])));
    if (owners.size === 1 && (await this.settleAndClaimAtOnce(batch))) return;
    const live = await this.settle(batch);
    // A requeued retry is news even when its group's claim fails below.
    let wake = live.some((entry) => entry.settled?.requeued);
    // One claim per owner and lease (a store shared by two engines gets two).
    const groups = new Map<string, Waiting[]>();
    for (const entry of live) {
      const key = entry.claim ? claimKey(entry.claim) : '';
      groups.set(key, [...(groups.get(key) ?? []), entry]);
    }
    for (const group of groups.values()) {
      const { limit, options } = mergedClaim(group);
      let claimed: ClaimedAttempt[] = [];
      if (options && limit > 0) {
        try {
          ({ claimed } = await claimExecutions(this.pool, { ...options, limit }));
        } catch (thrown) {
          for (const entry of group) entry.reject(thrown);
          continue;
        }
      }
      if (this.answer(group, claimed, limit)) wake = true;
    }
    if (wake) await this.wakeOthers();
  }

  /**
   * The usual batch, one controller's: its settlements and its claim in one transaction, one WAL
   * flush for the lot. False when that transaction failed and nothing of it applied: the batch
   * then goes the two-step way, which isolates a bad completion.
   */
  private async settleAndClaimAtOnce(batch: Waiting[]): Promise<boolean> {
    const { limit, options } = mergedClaim(batch);
    const settling = batch.filter((entry) => entry.completion);
    let settled: Settled[] = [];
    let claimed: ClaimedAttempt[];
    try {
      ({ claimed, settled } = await claimExecutions(this.pool, { ...options!, limit }, settling.map((entry) => entry.completion!)));
    } catch (thrown) {
      if (settling.length > 0) return false;
      for (const entry of batch) entry.reject(thrown);
      return true;
    }
    settling.forEach((entry, index) => (entry.settled = settled[index]));
    if (this.answer(batch, claimed, limit)) await this.wakeOthers();
    return true;
  }

  /**
   * Shares the claimed executions out in arrival order, each caller at most its own limit, and
   * answers every caller. True when other controllers should hear of freed slots (see above).
   */
  private answer(group: Waiting[], claimed: ClaimedAttempt[], limit: number): boolean {
    let next = 0;
    for (const entry of group) {
      const share = claimed.slice(next, next + Math.max(0, entry.claim?.limit ?? 0));
      next += share.length;
      entry.resolve({ applied: entry.settled?.applied ?? false, claimed: share });
    }
    return freedSlotsNews(group.flatMap((entry) => (entry.settled ? [entry.settled] : [])), claimed, limit);
  }

  private async wakeOthers(): Promise<void> {
    await this.pool.query(`SELECT pg_notify(current_schema(), 'freed')`).catch(() => undefined);
  }

  /**
   * Settles the batch's completions in one transaction, and returns the entries still to answer.
   * Should that transaction fail (an attempt not found, say), nothing of it was applied, and each
   * is settled on its own, so that one bad completion fails only its own caller.
   */
  private async settle(batch: Waiting[]): Promise<Waiting[]> {
    const settling = batch.filter((entry) => entry.completion);
    if (settling.length === 0) return batch;
    try {
      const settled = await completeAttempts(this.pool, settling.map((entry) => entry.completion!));
      settling.forEach((entry, index) => (entry.settled = settled[index]));
      return batch;
    } catch (thrown) {
      if (settling.length === 1) {
        settling[0].reject(thrown);
        return batch.filter((entry) => entry !== settling[0]);
      }
    }
    const live: Waiting[] = [];
    for (const entry of batch) {
      if (!entry.completion) {
        live.push(entry);
        continue;
      }
      try {
        [entry.settled] = await completeAttempts(this.pool, [entry.completion]);
        live.push(entry);
      } catch (thrown) {
        entry.reject(thrown);
      }
    }
    return live;
  }
}

/** Claims of one owner with one lease can be merged into one. */
function claimKey(claim: ClaimOptions): string {
  return `${claim.owner}\n${claim.leaseMs}`;
}

/** The one claim for a group's claims: the sum of their limits, at the latest of their times. */
function mergedClaim(group: Waiting[]): { limit: number; options?: ClaimOptions } {
  const claims = group.map((entry) => entry.claim).filter((claim): claim is ClaimOptions => claim !== undefined);
  if (claims.length === 0) return { limit: 0 };
  const limit = claims.reduce((sum, claim) => sum + Math.max(0, claim.limit), 0);
  const now = claims.reduce((latest, claim) => (Date.parse(claim.now) > Date.parse(latest) ? claim.now : latest), claims[0].now);
  return { limit, options: { ...claims[0], now, limit } };
}
