import type { Execution } from '../domain/execution.js';
import type { AttemptCompletion, ClaimedAttempt, Enqueued, ScheduleAdvance, ScheduleAdvanced } from '../store/store.js';
import type { Counter } from 'prom-client';
import type { PontoonMetrics } from './metrics.js';

/** What a settled attempt is labelled with, remembered from when it started. */
interface RunningAttempt {
  namespace: string;
  function: string;
  startedAt: string;
}

/** Attempts remembered at once at most: bounds the memory of attempts that end without a settlement seen here. */
const rememberedLimit = 100_000;

/**
 * Moves the counters and histograms at each execution transition the store applies: the
 * instrumented store hands it every answer of an operation that changes an execution. It
 * remembers the function and start of the attempts it saw start, to label their settlement.
 * Label objects are written out, not spread from `labels`: on Node 20 a spread with a property
 * added costs about 1 µs, and these run for every attempt.
 */
export class TransitionMetrics {
  private readonly running = new Map<string, RunningAttempt>();

  constructor(private readonly metrics: PontoonMetrics) {}

  /** Executions just stored (created, not found by idempotency key). */
  enqueued(enqueued: Enqueued[]): void {
    for (const { execution, created } of enqueued) if (created) this.submittedOne(execution);
  }

  /** A schedule's tick: the executions it started and those Replace cancelled. */
  scheduleAdvanced(advance: ScheduleAdvance, advanced: ScheduleAdvanced): void {
    for (const execution of advanced.started) this.submittedOne(execution);
    for (const _ of advanced.cancelled) this.metrics.ended.inc({ namespace: advance.namespace, function: advance.function, status: 'cancelled' });
  }

  /** Attempts the store just started for this controller; counters move once per function of the batch. */
  claimed(claims: ClaimedAttempt[], at: Date): void {
    const tally = new CounterTally();
    for (const { execution, attempt } of claims) {
      const labels = { namespace: execution.namespace, function: execution.function };
      const fn = `${execution.namespace}/${execution.function}`;
      const startedAt = execution.attempts.find((each) => each.number === attempt)?.startedAt ?? at.toISOString();
      this.remember(execution.id, attempt, { namespace: execution.namespace, function: execution.function, startedAt });
      tally.add(this.metrics.attemptsStarted, labels, `attemptsStarted ${fn}`);
      if (!this.metrics.hasWarmPool(execution.namespace, execution.function)) tally.add(this.metrics.coldStarts, labels, `coldStarts ${fn}`);
      if (attempt !== 1) continue;
      tally.add(this.metrics.started, labels, `started ${fn}`);
      this.metrics.queueWait.observe(labels, seconds(execution.createdAt, startedAt));
    }
    tally.flush();
  }

  /** Attempts known to be running without having been claimed here (adopted, or expired and about to be reaped). */
  seen(attempts: { execution: Execution; attempt: number }[]): void {
    for (const { execution, attempt } of attempts) {
      const startedAt = execution.attempts.find((each) => each.number === attempt)?.startedAt ?? execution.startedAt;
      if (startedAt) this.remember(execution.id, attempt, { namespace: execution.namespace, function: execution.function, startedAt });
    }
  }

  /** A settlement the store applied (a late report, not applied, moves nothing). */
  completed(completion: AttemptCompletion, applied: boolean): void {
    this.completedBatch([completion], [applied]);
  }

  /** A batch of settlements, `applied[i]` saying whether the store applied `completions[i]`; counters move once per function and outcome. */
  completedBatch(completions: AttemptCompletion[], applied: boolean[]): void {
    const tally = new CounterTally();
    completions.forEach((completion, index) => {
      const key = attemptKey(completion.executionId, completion.attempt);
      const attempt = this.running.get(key);
      this.running.delete(key);
      if (!applied[index] || !attempt) return;
      const fn = `${attempt.namespace}/${attempt.function}`;
      const labels = { namespace: attempt.namespace, function: attempt.function };
      const withStatus = { namespace: attempt.namespace, function: attempt.function, status: completion.status };
      tally.add(this.metrics.attemptsEnded, withStatus, `attemptsEnded ${fn} ${completion.status}`);
      this.metrics.attemptDuration.observe(withStatus, seconds(attempt.startedAt, completion.finishedAt));
      if (completion.reason === 'LeaseExpired') tally.add(this.metrics.leaseExpiries, labels, `leaseExpiries ${fn}`);
      if (completion.settlement.next === 'retry') tally.add(this.metrics.retries, labels, `retries ${fn}`);
      else tally.add(this.metrics.ended, { namespace: attempt.namespace, function: attempt.function, status: completion.settlement.status }, `ended ${fn} ${completion.settlement.status}`);
    });
    tally.flush();
  }

  /** Attempts the store stopped counting as current (cancelled or superseded): nothing settles them here. */
  forgotten(refs: { executionId: string; attempt: number }[]): void {
    for (const ref of refs) this.running.delete(attemptKey(ref.executionId, ref.attempt));
  }

  /** A cancellation: counted when this call ended the execution (its end is `now`), not for one already over. */
  cancelled(execution: Execution | undefined, now: string): void {
    if (!execution || execution.status !== 'cancelled' || !execution.finishedAt) return;
    if (Date.parse(execution.finishedAt) !== Date.parse(now)) return;
    this.forgotten(execution.attempts.map((attempt) => ({ executionId: execution.id, attempt: attempt.number })));
    this.metrics.ended.inc({ namespace: execution.namespace, function: execution.function, status: 'cancelled' });
  }

  private submittedOne(execution: Execution): void {
    this.metrics.submitted.inc({ namespace: execution.namespace, function: execution.function });
  }

  private remember(executionId: string, attempt: number, running: RunningAttempt): void {
    if (this.running.size >= rememberedLimit) this.running.delete(this.running.keys().next().value!);
    this.running.set(attemptKey(executionId, attempt), running);
  }
}

function attemptKey(executionId: string, attempt: number): string {
  return `${executionId}#${attempt}`;
}

function seconds(from: string, to: string): number {
  return Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
}

/**
 * Counter increments of one batch, added up per metric and labels, so each counter moves once per
 * batch: prom-client validates and hashes the labels at every call, which for a warm replica's
 * batches of 8 cost more than the rest of the bookkeeping together.
 */
class CounterTally {
  private readonly entries = new Map<string, { metric: Counter<string>; labels: Record<string, string>; count: number }>();

  /** One more for `metric` with `labels`; `key` names the pair (the same key, the same pair). */
  add(metric: Counter<string>, labels: Record<string, string>, key: string): void {
    const entry = this.entries.get(key);
    if (entry) entry.count += 1;
    else this.entries.set(key, { metric, labels, count: 1 });
  }

  /** Moves every counter by its total. */
  flush(): void {
    for (const { metric, labels, count } of this.entries.values()) metric.inc(labels, count);
  }
}
