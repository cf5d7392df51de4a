import { PontoonError } from '../domain/errors.js';
import type { ClaimedAttempt, Enqueued, NewExecution, Store } from '../store/store.js';
import type { Handoff } from './handoff.js';

/** What GroupCommit needs: the store to enqueue in, the time, and whom to tell once a group is stored. */
export interface GroupCommitOptions {
  store: Pick<Store, 'enqueueExecutions' | 'enqueueAndClaimFunction'>;
  clock: () => Date;
  /**
   * A group is durable: wake whoever takes its work (once per commit, not per request), but not
   * for what a handoff started (`claimed`). Must not throw.
   */
  stored(requests: NewExecution[], enqueued: Enqueued[], claimed: ClaimedAttempt[]): void;
  /** A direct handoff for a group about to be stored, if a replica waits for its work (see handoff.ts). */
  handoff?(requests: NewExecution[]): Handoff | undefined;
  /** Most requests in one store call (default 1,000): a longer transaction would hold the others up. */
  maxGroup?: number;
}

/** One caller's requests (an invoke, a batch): stored together or not at all. */
interface Submission {
  requests: NewExecution[];
  resolve(enqueued: Enqueued[]): void;
  reject(error: unknown): void;
}

/**
 * Group commit of enqueues: the submissions that arrive while the event loop is busy (one turn)
 * or while the previous group's commit is under way go to the store in one enqueueExecutions
 * call, one transaction. Each caller is still answered only once its rows are durable, with its
 * own executions; one invoke per transaction could not keep up with a thousand a second (issue 12,
 * open loop). A submission stays all-or-nothing: a group that fails for a request's fault (an
 * unknown function, an input the function refuses) is stored again without it, so one bad
 * request never sinks the others.
 */
export class GroupCommit {
  private waiting: Submission[] = [];
  private scheduled = false;
  private committing = false;
  private readonly maxGroup: number;

  constructor(private readonly options: GroupCommitOptions) {
    this.maxGroup = options.maxGroup ?? 1_000;
  }

  /** Stores the requests as queued executions; resolves once they are durable, in request order. */
  enqueue(requests: NewExecution[]): Promise<Enqueued[]> {
    if (requests.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.waiting.push({ requests, resolve, reject });
      this.schedule();
    });
  }

  /**
   * The next group goes after this turn of the event loop (setImmediate runs once the requests
   * whose bytes arrived together are all read), or when the commit under way ends.
   */
  private schedule(): void {
    if (this.scheduled || this.committing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.commitWaiting();
    });
  }

  private async commitWaiting(): Promise<void> {
    this.committing = true;
    try {
      while (this.waiting.length > 0) await this.commit(this.takeGroup());
    } finally {
      this.committing = false;
    }
  }

  /** Whole submissions up to maxGroup requests (one larger submission goes alone). */
  private takeGroup(): Submission[] {
    let size = 0;
    let count = 0;
    while (count < this.waiting.length && (count === 0 || size + this.waiting[count].requests.length <= this.maxGroup)) {
      size += this.waiting[count].requests.length;
      count += 1;
    }
    return this.waiting.splice(0, count);
  }

  /** Stores a group; on a request's fault, answers the faulty submissions and stores the rest again. */
  private async commit(group: Submission[]): Promise<void> {
    let left = group;
    while (left.length > 0) {
      const requests = left.flatMap((submission) => submission.requests);
      let enqueued: Enqueued[];
      let claimed: ClaimedAttempt[] = [];
      // Only the first try of a group: a group stored again after a fault is stored alone.
      const handoff = left === group ? this.options.handoff?.(requests) : undefined;
      try {
        const now = this.options.clock().toISOString();
        if (handoff) ({ enqueued, claimed } = await this.options.store.enqueueAndClaimFunction(requests, now, handoff.claim(now)));
        else enqueued = await this.options.store.enqueueExecutions(requests, now);
      } catch (thrown) {
        handoff?.abandoned();
        const next = this.withoutFaulty(left, thrown);
        if (next !== 'one by one') {
          left = next;
          continue;
        }
        // Each submission's own error (or success) goes to its caller.
        for (const submission of left) await this.commitAlone(submission);
        return;
      }
      // Before the callers' continuations: the replica's answer is written first.
      handoff?.started(claimed);
      let offset = 0;
      for (const submission of left) {
        submission.resolve(enqueued.slice(offset, offset + submission.requests.length));
        offset += submission.requests.length;
      }
      // Runs before the callers' continuations (microtasks): a waiting replica claims first.
      this.options.stored(requests, enqueued, claimed);
      return;
    }
  }

  /**
   * The submissions to store again after a group failed. An error that is no request's fault (the
   * store is down, a commit's outcome is unknown) answers every submission, as it would have
   * alone: storing again could store twice. An unknown function answers the submissions naming
   * it; any other request's fault is found by storing each submission alone.
   */
  private withoutFaulty(group: Submission[], thrown: unknown): Submission[] | 'one by one' {
    if (group.length === 1 || !(thrown instanceof PontoonError)) {
      for (const submission of group) submission.reject(thrown);
      return [];
    }
    const missing = thrown.code === 'FUNCTION_NOT_FOUND' ? (thrown.details as { namespace?: string; name?: string }) : undefined;
    if (missing?.namespace !== undefined && missing.name !== undefined) {
      const names = (request: NewExecution) => request.namespace === missing.namespace && request.function === missing.name;
      const kept = group.filter((submission) => {
        if (!submission.requests.some(names)) return true;
        submission.reject(thrown);
        return false;
      });
      if (kept.length < group.length) return kept;
    }
    return 'one by one';
  }

  private async commitAlone(submission: Submission): Promise<void> {
    let enqueued: Enqueued[];
    try {
      enqueued = await this.options.store.enqueueExecutions(submission.requests, this.options.clock().toISOString());
    } catch (thrown) {
      submission.reject(thrown);
      return;
    }
    submission.resolve(enqueued);
    this.options.stored(submission.requests, enqueued, []);
  }
}
