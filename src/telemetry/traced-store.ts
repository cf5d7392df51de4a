import { SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Span } from '@opentelemetry/api';
import type { Execution } from '../domain/execution.js';
import { traceIdOf, type TraceContext } from '../domain/trace-context.js';
import type { AttemptCompletion, ClaimedAttempt, Enqueued, NewExecution, ScheduleAdvanced, Store } from '../store/store.js';
import { attemptSpanId, parentContext, traceContextOf } from './trace-propagation.js';
import type { Tracing } from './tracing.js';

/** What an attempt's span needs at its settlement, remembered from when it was claimed, adopted or found expired. */
interface TracedAttempt {
  traceContext: TraceContext;
  namespace: string;
  function: string;
  version: number;
  startedAt: string;
}

/** Attempts remembered at once at most (as transition-metrics.ts): bounds those that end unseen here. */
const rememberedLimit = 100_000;

/**
 * The Store port with the trace of each execution around it (docs/tracing.md), for either
 * adapter unchanged:
 * - `invoke`: each enqueue, under the caller's traceparent if any; its context is stored with the
 *   execution (migration 7), so every controller continues the same trace;
 * - `queue`: at each claim, the wait from when the execution was ready (enqueued, or the previous
 *   attempt's end: a retry's backoff counts) to the claim;
 * - `attempt`: one per attempt, siblings under `invoke`, with its outcome; its span id is derived
 *   from the execution and attempt number, so the program is told it (TRACEPARENT) at the claim
 *   and whichever controller settles the attempt records the span under that id;
 * - `result`: the store step that ends the execution, with its final status.
 * Every claimed attempt gets the trace context its program continues (ClaimedAttempt.traceContext):
 * the attempt span's, or without tracing the execution's own (the caller's), so a function's spans
 * join its caller's trace even when Pontoon records none.
 */
export function traceStore<S extends Store>(store: S, tracing: Tracing | undefined): S {
  const traced = tracing && new StoreTrace(tracing);
  const withContexts = (claims: ClaimedAttempt[]): ClaimedAttempt[] => {
    for (const claimed of claims) {
      const context = traced ? traced.attemptContext(claimed.execution, claimed.attempt) : claimed.execution.traceContext;
      if (context) claimed.traceContext = context;
    }
    return claims;
  };
  const claimed = (claims: ClaimedAttempt[]): ClaimedAttempt[] => {
    traced?.claimed(claims);
    return withContexts(claims);
  };
  type Call = (...args: any[]) => Promise<any>;
  const wrappers: Partial<Record<keyof Store, (call: Call, args: any[]) => Promise<any>>> = {
    claimExecutions: async (call, args) => claimed(await call(...args)),
    claimFunctionExecutions: async (call, args) => claimed(await call(...args)),
    adoptAttempts: async (call, args) => {
      const adoption = await call(...args);
      traced?.seen(adoption.adopted);
      withContexts(adoption.adopted);
      return adoption;
    },
    // A settlement that claims the freed slot's next attempt in the same step: that attempt needs
    // its trace context too, traced or not.
    completeAndClaim: async (call, [completion, claim]) => {
      const settled = traced?.settling();
      const step = await call(completion, claim);
      settled?.([completion], [step.applied]);
      return { ...step, claimed: claimed(step.claimed) };
    },
    completeAndClaimFunction: async (call, [completions, claim]) => {
      const settled = traced?.settling();
      const step = await call(completions, claim);
      settled?.(completions, step.applied);
      return { ...step, claimed: claimed(step.claimed) };
    },
  };
  // The direct handoff: an enqueue and a claim (its invoke spans, then its queue and attempt spans).
  wrappers.enqueueAndClaimFunction = async (call, [requests, now, claim]) => {
    let step: { enqueued: Enqueued[]; claimed: ClaimedAttempt[] } | undefined;
    if (traced)
      await traced.invoked(requests, async (requests) => {
        step = await call(requests, now, claim);
        return step!.enqueued;
      });
    else step = await call(requests, now, claim);
    return { ...step!, claimed: claimed(step!.claimed) };
  };
  if (traced) {
    Object.assign(wrappers, {
      enqueueExecutions: (call, [requests, now]) => traced.invoked(requests, (requests) => call(requests, now)),
      advanceSchedule: async (call, [advance, now]) => {
        let answer: ScheduleAdvanced | undefined;
        await traced.invoked(advance.executions, async (executions) => {
          answer = (await call({ ...advance, executions }, now)) as ScheduleAdvanced;
          // Started ones are found by key; the rest were not started (Forbid, or the tick had moved on).
          return executions.map((request) => {
            const execution = answer!.started.find((started) => started.idempotencyKey === request.idempotencyKey);
            return execution && { execution, created: true, matchesRequest: true };
          });
        });
        return answer;
      },
      listExpiredAttempts: async (call, args) => {
        const expired = await call(...args);
        traced.seen(expired);
        return expired;
      },
      completeAttempt: async (call, [completion]) => {
        const settled = traced.settling();
        const applied = await call(completion);
        settled([completion], [applied]);
        return applied;
      },
      completeAttempts: async (call, [completions]) => {
        const settled = traced.settling();
        const applied = await call(completions);
        settled(completions, applied);
        return applied;
      },
      cancelExecution: async (call, [id, now]) => {
        const execution = await call(id, now);
        traced.cancelled(execution, now);
        return execution;
      },
    } satisfies typeof wrappers);
  }
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      const wrapper = wrappers[property as keyof Store];
      if (typeof value !== 'function' || !wrapper) return value;
      return (...args: unknown[]) => wrapper((...callArgs: unknown[]) => value.apply(target, callArgs), args);
    },
  });
}

/** The spans of executions, as the traced store sees their transitions. */
class StoreTrace {
  private readonly running = new Map<string, TracedAttempt>();

  constructor(private readonly tracing: Tracing) {}

  /** Enqueues under an `invoke` span per request, each request carrying its span's context to the store. */
  async invoked(requests: NewExecution[], enqueue: (requests: NewExecution[]) => Promise<(Enqueued | undefined)[]>): Promise<(Enqueued | undefined)[]> {
    const spans = requests.map((request) =>
      this.tracing.startSpan(
        'invoke',
        { kind: SpanKind.PRODUCER, attributes: { 'pontoon.namespace': request.namespace, 'pontoon.function': request.function } },
        parentContext(request.traceContext),
      ),
    );
    try {
      const enqueued = await enqueue(requests.map((request, index) => ({ ...request, traceContext: traceContextOf(spans[index].spanContext()) })));
      enqueued.forEach((entry, index) => {
        if (!entry) return spans[index].setAttribute('pontoon.execution.started', false);
        spans[index].setAttributes({ 'pontoon.execution.id': entry.execution.id, 'pontoon.function.version': entry.execution.version, 'pontoon.execution.created': entry.created });
      });
      return enqueued;
    } catch (thrown) {
      for (const span of spans) failed(span, thrown);
      throw thrown;
    } finally {
      for (const span of spans) span.end();
    }
  }

  /** The trace context an attempt's program continues: its attempt span's; none when its execution has no trace. */
  attemptContext(execution: Execution, attempt: number): TraceContext | undefined {
    const parent = execution.traceContext;
    if (!parent) return undefined;
    const parentSpan = trace.getSpanContext(parentContext(parent));
    if (!parentSpan) return undefined;
    const traceId = traceIdOf(parent);
    // Sampled as its parent is: the ParentBased sampler decides the attempt span the same way.
    return traceContextOf({ traceId, spanId: attemptSpanId(traceId, execution.id, attempt), traceFlags: parentSpan.traceFlags & TraceFlags.SAMPLED, traceState: parentSpan.traceState });
  }

  /** Claims: each attempt's wait in the queue, and the attempt remembered for its settlement. */
  claimed(claims: ClaimedAttempt[]): void {
    for (const { execution, attempt } of claims) {
      const remembered = this.remember(execution, attempt);
      if (!remembered) continue;
      const previous = execution.attempts.find((each) => each.number === attempt - 1);
      const readySince = previous?.finishedAt ?? execution.createdAt;
      const span = this.tracing.startSpan(
        'queue',
        { kind: SpanKind.INTERNAL, startTime: new Date(readySince), attributes: { ...this.attributes(remembered, execution.id), 'pontoon.attempt': attempt } },
        parentContext(remembered.traceContext),
      );
      span.end(new Date(remembered.startedAt));
    }
  }

  /** Attempts running without having been claimed here (adopted, or expired and about to be reaped). */
  seen(attempts: { execution: Execution; attempt: number }[]): void {
    for (const { execution, attempt } of attempts) this.remember(execution, attempt);
  }

  /**
   * Marks the start of a settling store step; the function it returns records the spans of what
   * the step applied: the attempts it settled and, for the executions it ended, a `result` span
   * covering the step. A late report (not applied) records nothing: its attempt was settled, and
   * traced, by whoever settled it first.
   */
  settling(): (completions: AttemptCompletion[], applied: boolean[]) => void {
    const started = new Date();
    return (completions, applied) => {
      completions.forEach((completion, index) => {
        const key = attemptKey(completion.executionId, completion.attempt);
        const attempt = this.running.get(key);
        this.running.delete(key);
        if (!applied[index] || !attempt) return;
        this.attemptSpan(completion.executionId, completion.attempt, attempt, completion);
        const { settlement } = completion;
        if (settlement.next === 'finish') this.resultSpan(completion.executionId, attempt, settlement.status, started);
      });
    };
  }

  /** A cancellation that ended the execution now: its running attempt's span, cancelled, and its result. */
  cancelled(execution: Execution | undefined, now: string): void {
    if (!execution?.traceContext || execution.status !== 'cancelled' || !execution.finishedAt) return;
    if (Date.parse(execution.finishedAt) !== Date.parse(now)) return;
    const fields = { traceContext: execution.traceContext, namespace: execution.namespace, function: execution.function, version: execution.version };
    for (const attempt of execution.attempts) {
      const key = attemptKey(execution.id, attempt.number);
      const remembered = this.running.get(key);
      this.running.delete(key);
      if (attempt.status !== 'cancelled') continue;
      this.attemptSpan(execution.id, attempt.number, remembered ?? { ...fields, startedAt: attempt.startedAt }, {
        status: 'cancelled',
        exitCode: null,
        reason: attempt.reason,
        error: attempt.error,
        finishedAt: attempt.finishedAt ?? execution.finishedAt,
      });
    }
    this.resultSpan(execution.id, { ...fields, startedAt: execution.createdAt }, 'cancelled', new Date(now));
  }

  private attemptSpan(
    executionId: string,
    number: number,
    attempt: TracedAttempt,
    outcome: { status: string; exitCode: number | null; reason: string | null; error: string | null; finishedAt: string; settlement?: AttemptCompletion['settlement'] },
  ): void {
    const traceId = traceIdOf(attempt.traceContext);
    const attributes: Attributes = { ...this.attributes(attempt, executionId), 'pontoon.attempt': number, 'pontoon.attempt.status': outcome.status };
    if (outcome.exitCode !== null) attributes['pontoon.attempt.exit_code'] = outcome.exitCode;
    if (outcome.reason) attributes['pontoon.attempt.reason'] = outcome.reason;
    if (outcome.settlement) attributes['pontoon.attempt.next'] = outcome.settlement.next;
    if (outcome.settlement?.next === 'retry') attributes['pontoon.retry.not_before'] = outcome.settlement.notBefore;
    const span = this.tracing.startSpan(
      'attempt',
      { kind: SpanKind.CONSUMER, startTime: new Date(attempt.startedAt), attributes },
      parentContext(attempt.traceContext),
      attemptSpanId(traceId, executionId, number),
    );
    if (outcome.status === 'succeeded') span.setStatus({ code: SpanStatusCode.OK });
    else span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error ?? outcome.status });
    span.end(new Date(outcome.finishedAt));
  }

  private resultSpan(executionId: string, attempt: TracedAttempt, status: string, started: Date): void {
    const span = this.tracing.startSpan(
      'result',
      { kind: SpanKind.INTERNAL, startTime: started, attributes: { ...this.attributes(attempt, executionId), 'pontoon.execution.status': status } },
      parentContext(attempt.traceContext),
    );
    span.setStatus(status === 'succeeded' ? { code: SpanStatusCode.OK } : { code: SpanStatusCode.ERROR, message: `the execution ended ${status}` });
    span.end();
  }

  private attributes(attempt: Omit<TracedAttempt, 'startedAt'>, executionId: string): Attributes {
    return { 'pontoon.namespace': attempt.namespace, 'pontoon.function': attempt.function, 'pontoon.function.version': attempt.version, 'pontoon.execution.id': executionId };
  }

  private remember(execution: Execution, attempt: number): TracedAttempt | undefined {
    if (!execution.traceContext) return undefined;
    const startedAt = execution.attempts.find((each) => each.number === attempt)?.startedAt ?? execution.startedAt ?? new Date().toISOString();
    const traced = { traceContext: execution.traceContext, namespace: execution.namespace, function: execution.function, version: execution.version, startedAt };
    if (this.running.size >= rememberedLimit) this.running.delete(this.running.keys().next().value!);
    this.running.set(attemptKey(execution.id, attempt), traced);
    return traced;
  }
}

function attemptKey(executionId: string, attempt: number): string {
  return `${executionId}#${attempt}`;
}

function failed(span: Span, thrown: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: thrown instanceof Error ? thrown.message : String(thrown) });
}
