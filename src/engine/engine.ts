import type { Logger } from 'pino';
import { PontoonError, asError } from '../domain/errors.js';
import type { AttemptReport, Execution } from '../domain/execution.js';
import type { FunctionDocument, FunctionVersion } from '../domain/function-spec.js';
import { hasAbsoluteSource } from '../domain/source-path.js';
import { validateFunctionDocument } from '../domain/validate-spec.js';
import { validateSchedules } from '../triggers/schedule-ticks.js';
import type { AttemptSink, Executor, PoolStatus } from '../executors/executor.js';
import { checkCodeOrigin, type CodeOrigins } from './code-origin.js';
import type { Runtimes } from '../runtimes/runtime.js';
import type { AttemptCompletion, AttemptRef, ClaimedAttempt, ClaimOptions, Enqueued, LogLine, NewExecution, Store } from '../store/store.js';
import { hasCompletionDeliveries } from '../triggers/completion-events.js';
import { settleAttempt, type AttemptOutcome } from './attempt-settlement.js';
import type { ExecutionEvents } from './execution-events.js';
import { soleLeader, type Leadership } from './leader.js';
import { waitForEnd } from './end-wait.js';
import { GroupCommit } from './group-commit.js';
import { directHandoff, type HandoffHost } from './handoff.js';
import type { StopSignal } from '../lib/wake-timeout.js';
import { Loop } from './loop.js';
import { ReplicaWork } from './replica-work.js';
import { ScalarLoop } from './scalar-loop.js';
import { StartTimer } from './start-timer.js';

/** What the engine is built from. */
export interface EngineOptions {
  store: Store;
  executor: Executor;
  runtimes: Runtimes;
  /** Told after each deploy stored a version (the build cleanup runs then). */
  deployed?: () => void;
  events: ExecutionEvents;
  logger: Logger;
  /** Identifies this controller as the holder of leases. */
  owner: string;
  /** Global capacity: most attempts this controller runs at once. */
  capacity: number;
  /** How long a lease lasts without renewal; renewed every third of it. */
  leaseMs: number;
  /** How often the dispatcher looks for ready work when nothing wakes it (delayed retries, other controllers). */
  pollMs: number;
  /** Who reaps expired leases (and fires schedules) among controllers sharing the store; default: this one alone. */
  leadership?: Leadership;
  /**
   * Sinks every completion event goes to (the deliverer's): an ending with none of these, and no
   * sink or callback of its own, is stored as notified, so the deliverer need not decide it.
   */
  globalSinks?: readonly string[];
  clock?: () => Date;
  random?: () => number;
  /** The Scalar's pace, when the executor has warm pools: look every intervalMs (1 s), scale down after stabilizationMs (30 s). */
  scalar?: { intervalMs?: number; stabilizationMs?: number };
  /** Where functions' code may come from (source roots); unchecked paths when absent. */
  codeOrigins?: CodeOrigins;
}

const refKey = (ref: AttemptRef) => `${ref.executionId}#${ref.attempt}`;

/**
 * The embedded controller: dispatches ready executions to the executor within capacity, keeps
 * their leases, settles their outcomes through the retry policy, and reaps attempts whose lease
 * expired. Every loop reads the store and closes the gap, so a restart at any line is safe.
 */
export class Engine implements AttemptSink {
  private readonly inFlight = new Map<string, ClaimedAttempt>();
  /** Slots promised to claims under way outside the dispatcher (see settleAndClaim). */
  private reserved = 0;
  /** A dispatcher pass found every free slot reserved: it must look again once they are released. */
  private passSkipped = false;
  /** A claim found no free slot: the next settlement wakes the dispatcher for the slot it frees. */
  private capacityFull = false;
  /** Settlements under way, which stop() lets finish: they may claim attempts. */
  private readonly settling = new Set<Promise<void>>();
  private readonly logChains = new Map<string, Promise<void>>();
  private readonly dispatcher: Loop;
  private readonly leaseKeeper: Loop;
  private readonly reaper: Loop;
  private readonly scalar: ScalarLoop | undefined;
  private readonly startTimer: StartTimer;
  /** Enqueues arriving together share one store transaction. */
  private readonly groupCommit: GroupCommit;
  /** Warm replicas' batches: they share this controller's slots and leases. */
  private readonly replicaWork: ReplicaWork;
  private readonly clock: () => Date;
  private readonly random: () => number;
  private accepting = false;
  private readonly leadership: Leadership;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly options: EngineOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.leadership = options.leadership ?? soleLeader();
    const onError = (name: string, error: Error) => options.logger.error({ err: error }, `${name} pass failed`);
    this.dispatcher = new Loop('dispatcher', options.pollMs, () => this.dispatch(), onError);
    this.leaseKeeper = new Loop('lease keeper', Math.max(50, Math.floor(options.leaseMs / 3)), () => this.renewLeases(), onError);
    this.reaper = new Loop('reaper', Math.max(50, Math.floor(options.leaseMs / 2)), () => this.reapExpired(), onError);
    this.startTimer = new StartTimer(options.store, this.clock, () => this.dispatcher.wake(), options.pollMs);
    this.replicaWork = this.replicaWorkOf(options);
    const handoffHost = this.handoffHostOf(options);
    this.groupCommit = new GroupCommit({
      store: options.store,
      clock: this.clock,
      stored: (requests, enqueued, claimed) => this.arrived(requests, enqueued, claimed),
      handoff: (requests) => directHandoff(handoffHost, requests),
    });
    const pools = options.executor.pools;
    pools?.attach(this.replicaWork);
    this.scalar = pools && new ScalarLoop({
      store: options.store,
      pools,
      logger: options.logger,
      clock: this.clock,
      intervalMs: options.scalar?.intervalMs ?? 1000,
      stabilizationMs: options.scalar?.stabilizationMs ?? 30_000,
      claimed: (fn) => this.replicaWork.claimed(fn),
      meanDurationMs: (fn) => this.replicaWork.meanDurationMs(fn),
    });
  }

  /** What a direct handoff of an invoke to a waiting replica uses of this controller (handoff.ts). */
  private handoffHostOf({ executor, owner, leaseMs }: EngineOptions): HandoffHost {
    return {
      pools: executor.pools,
      owner,
      leaseMs,
      reserve: (max) => this.reserve(max, false),
      release: (slots) => this.release(slots),
      took: (fn, claims) => this.replicaWork.handedOff(fn, claims),
    };
  }

  private replicaWorkOf({ store, owner, leaseMs }: EngineOptions): ReplicaWork {
    return new ReplicaWork({
      store,
      owner,
      leaseMs,
      clock: this.clock,
      sink: this,
      reserve: (max, waits) => this.reserve(max, waits),
      release: (slots) => this.release(slots),
      running: (claims) => this.keepLeases(claims),
      ended: (ref) => {
        const key = refKey(ref);
        this.inFlight.delete(key);
        return this.logChains.get(key);
      },
      completionOf: (...args) => this.completionOf(...args),
      settled: (completion, applied) => this.settled(completion, applied),
      track: (settling) => {
        this.settling.add(settling);
        void settling.finally(() => this.settling.delete(settling));
      },
      freed: (requeued) => {
        const pools = this.options.executor.pools;
        const claimWentWithout = this.capacityFull;
        this.capacityFull = false;
        // A retry back in the queue is new work, and a freed slot of the controller is room for a
        // claim that went without one; otherwise only a function's own limits can have held work back.
        if (requeued || claimWentWithout) pools?.wake();
        else pools?.freed();
        if (claimWentWithout) this.dispatcher.wake();
      },
    });
  }

  /**
   * Starts dispatching, lease renewal and reaping; first, when the executor's attempts outlive
   * their controller, adopts those a previous run left running (see adoptOrphans).
   */
  start(): Promise<void> {
    this.accepting = true;
    if (!this.options.executor.findOrphans) {
      this.startLoops();
      return Promise.resolve();
    }
    return this.adoptOrphans().then(() => {
      if (this.accepting) this.startLoops();
    });
  }

  private startLoops(): void {
    this.dispatcher.start();
    this.leaseKeeper.start();
    this.reaper.start();
    this.scalar?.start();
    // Another controller's enqueue or freed slot is work for this one too; a new leader reaps at once.
    const unwake = this.options.store.onWake?.(() => {
      this.startTimer.touch();
      this.dispatcher.wake();
    });
    if (unwake) this.unsubscribe.push(unwake);
    this.unsubscribe.push(this.leadership.onChange((leading) => leading && this.reaper.wake()));
    this.leadership.start();
  }

  /**
   * Takes up the attempts a previous run of this controller left running (Kubernetes Jobs go on
   * without their controller): the store moves their leases here if that run still held them, so
   * the fence holds (an attempt counted as lost stays lost), and the executor resumes watching
   * them; the programs of those that are over are stopped. Done before the first claim, so
   * adopted attempts count against capacity from the start. A failure leaves them to their
   * leases: they expire and are retried as lost, as without adoption.
   */
  private async adoptOrphans(): Promise<void> {
    const { executor, store, owner, leaseMs, logger } = this.options;
    let adopted: ClaimedAttempt[] = [];
    try {
      const orphans = await executor.findOrphans!();
      if (orphans.length === 0) return;
      const adoption = await store.adoptAttempts(owner, orphans, this.clock().toISOString(), leaseMs);
      adopted = adoption.adopted;
      // In flight before the executor resumes them: a report may arrive as soon as it does.
      for (const claimed of adopted) this.inFlight.set(refKey({ executionId: claimed.execution.id, attempt: claimed.attempt }), claimed);
      await executor.adopt!(adoption);
      logger.info({ adopted: adopted.length, over: adoption.over.length }, 'attempts left running by the previous run taken up');
    } catch (thrown) {
      for (const claimed of adopted) this.inFlight.delete(refKey({ executionId: claimed.execution.id, attempt: claimed.attempt }));
      logger.error({ err: asError(thrown) }, 'adopting the attempts left running failed: their leases will expire and they are retried as lost');
    }
  }

  /** True while this controller leads: only the leader reaps leases and fires schedules. */
  isLeader(): boolean {
    return this.leadership.isLeader();
  }

  /**
   * Stops the loops and the running attempts. Their attempts are settled as lost (reason
   * Interrupted) at once, so their retries need not wait for the lease to run out; attempts the
   * executor lets go of instead (detach: Jobs a restarted controller adopts) keep their leases.
   */
  async stop(): Promise<void> {
    this.accepting = false;
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    this.startTimer.stop();
    await Promise.all([this.dispatcher.stop(), this.leaseKeeper.stop(), this.reaper.stop(), this.scalar?.stop()]);
    await this.leadership.stop();
    await Promise.all([...this.settling]);
    const detached = new Set(((await this.options.executor.detach?.()) ?? []).map(refKey));
    const interrupted = [...this.inFlight.values()].filter((claimed) => !detached.has(refKey({ executionId: claimed.execution.id, attempt: claimed.attempt })));
    this.inFlight.clear();
    await this.options.executor.close();
    for (const claimed of interrupted) {
      const ref = { executionId: claimed.execution.id, attempt: claimed.attempt };
      await this.settleOne(ref, { status: 'lost', reason: 'Interrupted', error: 'the controller stopped while the attempt ran' }, claimed.function, claimed.execution);
    }
  }

  /** Validates, builds and stores a new version of a function. */
  async deploy(input: unknown): Promise<{ fn: FunctionVersion; created: boolean }> {
    const document = await checkCodeOrigin(validateFunctionDocument(input), this.options.store, this.options.codeOrigins ?? {});
    validateSchedules(document);
    if (!hasAbsoluteSource(document)) {
      throw new PontoonError('INVALID_SPEC', 'spec.source must be an absolute path on the server; the CLI resolves relative paths against the spec file', {
        problems: [{ field: 'spec.source', message: 'must be an absolute path' }],
      });
    }
    const previous = await this.options.store.getFunction(document.metadata.namespace, document.metadata.name);
    await this.options.runtimes.prepare(provisionalVersion(document, this.clock()));
    const fn = await this.options.store.putFunction(document);
    this.options.deployed?.();
    // A new version drains the old replicas; a function made warm gets its pool.
    this.scalar?.wake();
    return { fn, created: previous === undefined };
  }

  /** Durably enqueues executions (with others arriving meanwhile: see GroupCommit), then wakes who takes them. */
  invoke(requests: NewExecution[]): Promise<Enqueued[]> {
    return this.groupCommit.enqueue(requests);
  }

  /**
   * Stored executions are work for the dispatcher, or for the replicas that serve their function:
   * waking the dispatcher for a warm function's executions only cost a claim that leaves them out.
   */
  private arrived(requests: NewExecution[], enqueued: Enqueued[], claimed: ClaimedAttempt[]): void {
    const served = new Set(this.options.executor.pools?.served().map((fn) => `${fn.namespace}/${fn.name}`));
    const warm = (request: NewExecution) => served.has(`${request.namespace}/${request.function}`);
    // Executions a handoff started are no replica's to look for.
    const started = new Set(claimed.map((attempt) => attempt.execution.id));
    const waiting = (request: NewExecution, index: number) => warm(request) && !started.has(enqueued[index].execution.id);
    // A delayed start is armed by a dispatcher pass, a warm function's included.
    if (requests.some((request) => request.notBefore !== undefined)) {
      this.startTimer.touch();
      this.dispatcher.wake();
    } else if (!requests.every(warm)) this.dispatcher.wake();
    // Replicas waiting for work take it now, not after a dispatcher pass.
    if (requests.some(waiting)) this.options.executor.pools?.wake();
    this.scalar?.arrived();
  }

  /** Wakes the dispatcher: another part of this controller (the scheduler) stored executions. */
  wake(): void {
    this.startTimer.touch();
    this.dispatcher.wake();
    this.scalar?.arrived();
  }

  /** Warm pools of this controller as they are now: desired and ready replicas per function. */
  poolStatus(): PoolStatus[] {
    return this.options.executor.pools?.status() ?? [];
  }

  /** Pool size changes the Scalar decided so far. */
  scaleEvents(): number {
    return this.scalar?.scaleEvents ?? 0;
  }

  /** Cancels an execution; a running attempt of this controller is stopped at once. */
  async cancel(id: string): Promise<Execution | undefined> {
    const execution = await this.options.store.cancelExecution(id, this.clock().toISOString());
    if (!execution) return undefined;
    for (const [key, claimed] of this.inFlight) {
      if (claimed.execution.id !== id) continue;
      this.inFlight.delete(key);
      await this.options.executor.stop({ executionId: id, attempt: claimed.attempt }, 'cancelled');
    }
    this.options.events.changed(id, execution.status);
    this.dispatcher.wake();
    return execution;
  }

  /**
   * Reads an execution until it is terminal or `timeoutMs` passes; returns it as last read (see
   * end-wait.ts). `current`: the execution as an invoke just stored it, not read again first.
   */
  waitForEnd(id: string, timeoutMs: number, signal?: StopSignal, current?: Execution): Promise<Execution | undefined> {
    return waitForEnd(this.options.store, this.options.events, id, timeoutMs, signal, current);
  }

  /** Attempts this controller runs now. */
  inFlightCount(): number {
    return this.inFlight.size;
  }

  /** AttemptSink: stores captured lines in order, one write chain per attempt. */
  logs(ref: AttemptRef, lines: LogLine[]): void {
    const key = refKey(ref);
    const previous = this.logChains.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => this.options.store.appendLogs(ref, lines))
      .then(() => this.options.events.logged(ref.executionId))
      .catch((thrown) => this.options.logger.error({ err: asError(thrown), ...ref }, 'storing logs failed'))
      // Forgotten once written, so attempts that end without a report (cancelled, superseded)
      // leave nothing behind.
      .then(() => {
        if (this.logChains.get(key) === next) this.logChains.delete(key);
      });
    this.logChains.set(key, next);
  }

  /** AttemptSink: settles a finished attempt once its logs are stored. */
  finished(ref: AttemptRef, report: AttemptReport): void {
    const key = refKey(ref);
    const claimed = this.inFlight.get(key);
    if (!claimed) return; // stopped on purpose (cancelled or superseded): its report does not count
    // The attempt ended now, and its slot is free now: a dispatcher pass may fill it before the
    // logs are stored and the attempt settled, so that is not when it finished.
    const endedAt = this.clock();
    this.inFlight.delete(key);
    const logsStored = this.logChains.get(key) ?? Promise.resolve();
    const settling: Promise<void> = logsStored
      .then(() => this.settleAndClaim(ref, report, claimed.function, claimed.execution, endedAt))
      .catch((thrown) => {
        this.options.logger.error({ err: asError(thrown), ...ref, function: `${claimed.execution.namespace}/${claimed.execution.function}` }, 'settling attempt failed');
        this.dispatcher.wake();
      })
      .finally(() => this.settling.delete(settling));
    this.settling.add(settling);
  }

  /** Reserves up to `max` free slots for a replica's claim; see ReplicaWorkHost.reserve. */
  private reserve(max: number, waits: boolean): number {
    const free = this.accepting ? Math.min(max, this.freeSlots()) : 0;
    if (free <= 0) {
      if (waits) this.capacityFull = true;
      return 0;
    }
    this.reserved += free;
    return free;
  }

  /** Keeps the leases of claimed attempts from now on. */
  private keepLeases(claims: ClaimedAttempt[]): void {
    // A rate-limited start may have filled its window: the timer learns when it opens again.
    if (claims.some((claimed) => claimed.function.document.spec.rateLimit)) this.startTimer.touch();
    for (const claimed of claims) {
      this.inFlight.set(refKey({ executionId: claimed.execution.id, attempt: claimed.attempt }), claimed);
      this.options.events.changed(claimed.execution.id, 'running');
    }
  }

  private async settleOne(ref: AttemptRef, outcome: AttemptOutcome, fn: FunctionVersion | undefined, execution: Execution, endedAt = this.clock()): Promise<void> {
    const completion = this.completionOf(ref, outcome, fn, execution, endedAt);
    this.settled(completion, await this.options.store.completeAttempt(completion));
  }

  /** What the store applies for an attempt's outcome; an ending with no event to deliver is notified already. */
  private completionOf(ref: AttemptRef, outcome: AttemptOutcome, fn: FunctionVersion | undefined, execution: Execution, endedAt: Date): AttemptCompletion {
    const completion = settleAttempt(ref, outcome, fn?.document.spec.retry, endedAt, this.random);
    const { settlement } = completion;
    if (settlement.next !== 'finish' || hasCompletionDeliveries(settlement.status, execution.callbackUrl, fn, this.options.globalSinks ?? [])) return completion;
    // Set on the fresh completion rather than spread into a copy: a spread with properties added is slow on Node 20 (see settleAttempt).
    completion.settlement = { next: 'finish', status: settlement.status, notified: true };
    return completion;
  }

  /**
   * Settles an attempt and, in the same store step, claims work for the slot it freed: one
   * transaction per attempt instead of a completion and then a dispatcher pass. The slots it
   * claims for are reserved meanwhile, so a dispatcher pass running at the same time cannot
   * also fill them.
   */
  private async settleAndClaim(ref: AttemptRef, outcome: AttemptOutcome, fn: FunctionVersion | undefined, execution: Execution, endedAt: Date): Promise<void> {
    const free = this.accepting ? this.freeSlots() : 0;
    if (free <= 0) {
      await this.settleOne(ref, outcome, fn, execution, endedAt);
      this.dispatcher.wake();
      return;
    }
    const completion = this.completionOf(ref, outcome, fn, execution, endedAt);
    await this.claimFreeSlots(free, this.clock().toISOString(), async (claim) => {
      const { applied, claimed } = await this.options.store.completeAndClaim(completion, claim);
      this.settled(completion, applied);
      return claimed;
    });
  }

  private settled(completion: AttemptCompletion, applied: boolean): void {
    if (!applied) this.options.logger.warn({ executionId: completion.executionId, attempt: completion.attempt, status: completion.status }, 'late report from a superseded attempt kept, not applied');
    const status = completion.settlement.next === 'retry' ? 'queued' : completion.settlement.status;
    if (status === 'queued') this.startTimer.touch();
    this.options.events.changed(completion.executionId, status);
  }

  private freeSlots(): number {
    return this.options.capacity - this.inFlight.size - this.reserved;
  }

  /**
   * Gives back reserved slots. Work stored while they were reserved (an invoke during a
   * PostgreSQL claim) may not have been seen by that claim: a pass skipped meanwhile runs now.
   */
  private release(slots: number): void {
    this.reserved -= slots;
    if (this.reserved === 0 && this.passSkipped) {
      this.passSkipped = false;
      this.dispatcher.wake();
    }
    // A replica refused for want of a slot while these were reserved (a dispatcher pass over
    // PostgreSQL holds them for its round trips) asks again now, not at its long poll's end.
    if (this.capacityFull && this.freeSlots() > 0) {
      this.capacityFull = false;
      this.options.executor.pools?.wake();
    }
  }

  /**
   * Claims work for `free` slots, reserved while `claim` runs, and starts what it got. A full batch
   * means more may be ready: the dispatcher looks again at once rather than after pollMs; fewer
   * means nothing else is until a retry's backoff ends, which its poll finds.
   */
  private async claimFreeSlots(free: number, now: string, claim: (options: ClaimOptions) => Promise<ClaimedAttempt[]>): Promise<number> {
    this.reserved += free;
    let claims: ClaimedAttempt[];
    try {
      // Warm functions' executions are their replicas' to take.
      const except = this.options.executor.pools?.served();
      claims = await claim({ owner: this.options.owner, now, leaseMs: this.options.leaseMs, limit: free, ...(except?.length ? { except } : {}) });
      // Counted as running before the slots are released: a pass the release runs at once must not see them free.
      this.launchAll(claims);
    } finally {
      this.release(free);
    }
    if (claims.length === free) this.dispatcher.wake();
    return claims.length;
  }

  private async dispatch(): Promise<void> {
    if (!this.accepting) return;
    const pools = this.options.executor.pools;
    // Replicas waiting for work look again too: enqueues, retries due and freed slots are theirs as well.
    pools?.wake();
    const free = this.freeSlots();
    if (free <= 0) {
      if (this.reserved > 0) this.passSkipped = true;
      this.capacityFull = true;
      return;
    }
    const claimedAt = this.clock().toISOString();
    const claimed = await this.claimFreeSlots(free, claimedAt, (claim) => this.options.store.claimExecutions(claim));
    // Slots left free: what waits for a time (run later, backoff, rate limit) gets a timer.
    if (claimed < free) await this.startTimer.arm(claimedAt);
  }

  /** Starts claimed attempts; once stopping, they are only kept for stop() to settle as interrupted. */
  private launchAll(claims: ClaimedAttempt[]): void {
    this.keepLeases(claims);
    if (this.accepting) for (const claimed of claims) void this.launch(claimed);
  }

  private async launch(claimed: ClaimedAttempt): Promise<void> {
    const ref = { executionId: claimed.execution.id, attempt: claimed.attempt };
    try {
      await this.options.executor.start(claimed);
    } catch (thrown) {
      this.finished(ref, { status: 'failed', exitCode: null, reason: 'StartFailed', error: asError(thrown).message, result: null });
    }
  }

  private async renewLeases(): Promise<void> {
    const refs = [...this.inFlight.values()].map((claimed) => ({ executionId: claimed.execution.id, attempt: claimed.attempt }));
    if (refs.length === 0) return;
    const stale = await this.options.store.renewLeases(this.options.owner, refs, this.clock().toISOString(), this.options.leaseMs);
    for (const ref of stale) {
      if (!this.inFlight.delete(refKey(ref))) continue;
      await this.options.executor.stop(ref, 'superseded');
      this.dispatcher.wake();
    }
  }

  private async reapExpired(): Promise<void> {
    if (!this.leadership.isLeader()) return;
    const expired = await this.options.store.listExpiredAttempts(this.clock().toISOString(), 100);
    for (const { execution, ...ref } of expired) {
      const fn = await this.options.store.getFunction(execution.namespace, execution.function, execution.version);
      this.options.logger.warn({ ...ref, function: `${execution.namespace}/${execution.function}` }, 'attempt lease expired: attempt lost');
      await this.settleOne(ref, { status: 'lost', reason: 'LeaseExpired', error: 'the attempt’s lease expired: its controller or observer stopped reporting' }, fn, execution);
    }
    if (expired.length > 0) this.dispatcher.wake();
  }
}

function provisionalVersion(document: FunctionDocument, now: Date): FunctionVersion {
  return { namespace: document.metadata.namespace, name: document.metadata.name, version: 0, document, createdAt: now.toISOString() };
}
