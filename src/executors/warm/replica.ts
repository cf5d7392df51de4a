import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { durationMs } from '../../domain/duration.js';
import type { AttemptReport } from '../../domain/execution.js';
import type { FunctionVersion } from '../../domain/function-spec.js';
import type { LostOutcome, ReplicaSettlement } from '../executor.js';
import { LogCapture } from '../../observer/log-capture.js';
import type { StopSignal } from '../../lib/wake-timeout.js';
import type { AttemptRef, ClaimedAttempt, LogLine } from '../../store/store.js';
import { errorMessageLimit, invocationId, replicaEnv, replicaProtocolVersion, type Invocation, type InvocationResult, type ResultsAnswer } from './protocol.js';
import { ReplicaProcess, type ReplicaExit, type ReplicaProcessOptions } from './replica-process.js';
import type { ReplicaEndpoint } from './runtime-api.js';
import { WakeSignal } from './wake-signal.js';
import type { FunctionUser, FunctionUsers } from '../users/function-users.js';

/**
 * Where a replica is in its life:
 * - `starting`: its process runs but has not asked for work yet;
 * - `ready`: it asked for work at least once, and gets more;
 * - `draining`: it gets no more work; it posts what it has and exits;
 * - `stopped`: its process was stopped or exited; it is forgotten once its pool has seen it.
 */
export type ReplicaState = 'starting' | 'ready' | 'draining' | 'stopped';

/** What a replica needs from its pool. */
export interface ReplicaHost {
  /** Claims up to `max` invocations' attempts for this replica (others' versions run elsewhere). */
  take(replica: Replica, max: number): Promise<ClaimedAttempt[]>;
  settle(settlements: ReplicaSettlement[]): Promise<boolean[]>;
  /** settle, then take up to `max` for this replica, in one store step. */
  settleAndTake(replica: Replica, settlements: ReplicaSettlement[], max: number): Promise<{ applied: boolean[]; claimed: ClaimedAttempt[] }>;
  logs(ref: AttemptRef, lines: LogLine[]): void;
  /** Fires when work may be ready for the pool's replicas. */
  readonly work: WakeSignal;
  /** The replica changed state (ready, draining, stopped). */
  changed(replica: Replica): void;
  logger: Logger;
}

/** How a replica is started. */
export interface ReplicaOptions {
  fn: FunctionVersion;
  concurrency: number;
  /** Invocations it may hold beyond `concurrency` (spec.warm.prefetch); default 0. */
  prefetch?: number;
  command: string[];
  cwd: string;
  /** The inherited environment with spec.env and the launch plan's on top. */
  env: NodeJS.ProcessEnv;
  /** host:port of the runtime API. */
  runtimeApi: string;
  graceMs: number;
  logLimitBytes: number;
  resultLimitBytes: number;
  /** How long a replica may take to ask for work before it counts as a failed start. */
  startTimeoutMs: number;
  /** Who its process runs as (default: this process's user): one user per replica. */
  users?: FunctionUsers;
  /** The token to accept (default: a fresh one): one already handed out, as in a Kubernetes Secret its pods read. */
  token?: string;
  /**
   * Stands in for the replica's process where Pontoon does not spawn one (the pods of a
   * Kubernetes Deployment); it calls `onExit` once the replica is gone. Default: a child process.
   */
  launch?: (options: ReplicaProcessOptions) => ReplicaLife;
}

/** What a replica needs of whatever runs it: a way to stop it. */
export interface ReplicaLife {
  stop(): Promise<void>;
}

/** What a results post asks for besides settling: the next batch (ReplicaEndpoint.results). */
type ResultsNext = { max: number; waitMs: number; gone: StopSignal };

/** An invocation in flight on a replica. */
interface InFlight {
  claimed: ClaimedAttempt;
  ref: AttemptRef;
  /** Made at the invocation's first line: most invocations of a busy replica write none. */
  capture: LogCapture | undefined;
  deadline: number;
  /** Stopped by the engine (cancelled, superseded): its result is still taken, and fenced. */
  abandoned: boolean;
}

/**
 * One warm replica: its process, its token, and the invocations in flight on it. It is the
 * runtime API's endpoint for its token. Every invocation's deadline is watched here: past it the
 * replica is stopped (the attempt timed_out, the others on it lost), since nothing else can
 * interrupt a handler. Lines are attributed by tag, or to the only invocation in flight.
 */
export class Replica implements ReplicaEndpoint {
  readonly id = `r-${randomBytes(4).toString('hex')}`;
  readonly token: string;
  state: ReplicaState = 'starting';
  /** Set when its process ended before it ever asked for work. */
  failedStart = false;
  private readonly inFlight = new Map<string, InFlight>();
  /** Slots promised to takes under way. */
  private taking = 0;
  /**
   * The pool's work generation at which a claim of this replica found nothing (see lookedEmpty):
   * until work fires again, another claim would find nothing too, so a long poll waits instead.
   */
  private emptyAt: number | undefined;
  private readonly kick = new WakeSignal();
  /**
   * Slots the long polls of this replica waiting for a wake-up now (next) asked for, summed: a
   * handoff holds no more, so what it starts is answered at once. (A Kubernetes pool's endpoint
   * serves several pods: its concurrency is theirs together, a poll asks for one pod's.)
   */
  private pollingRoom = 0;
  /** Slots handoffs hold and have not delivered yet. */
  private handoffHeld = 0;
  /** Invocations started for it by a direct handoff, in flight already: its next answer carries them. */
  private delivered: Invocation[] = [];
  private readonly process: ReplicaLife;
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** When deadlineTimer fires (Infinity: not armed). */
  private deadlineTimerAt = Infinity;
  private lifeTimer: NodeJS.Timeout | undefined;
  /** Why the replica said it cannot start (POST /v1/init/error). */
  private startFailure: string | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  /** The controller is closing: the engine settles what is in flight, not the replica. */
  private closing = false;
  private stoppedBy: string | undefined;
  private timeoutMsCache: number | undefined;
  /** The user its process runs as, given back when it exits. */
  private user: FunctionUser | undefined;

  constructor(
    private readonly options: ReplicaOptions,
    private readonly host: ReplicaHost,
  ) {
    const fn = options.fn;
    this.token = options.token ?? randomBytes(32).toString('base64url');
    const launch = options.launch ?? ((processOptions: ReplicaProcessOptions) => new ReplicaProcess(processOptions));
    // A pod of a Kubernetes pool (options.launch) runs as its image says; a local process as its own user.
    this.user = options.launch ? undefined : options.users?.acquire();
    this.process = launch({
      ...(this.user ? { user: this.user } : {}),
      id: this.id,
      command: options.command,
      cwd: options.cwd,
      env: {
        ...options.env,
        [replicaEnv.runtimeApi]: options.runtimeApi,
        [replicaEnv.token]: this.token,
        [replicaEnv.id]: this.id,
        [replicaEnv.concurrency]: String(options.concurrency),
        [replicaEnv.prefetch]: String(options.prefetch ?? 0),
        [replicaEnv.protocol]: String(replicaProtocolVersion),
        [replicaEnv.function]: fn.name,
        [replicaEnv.namespace]: fn.namespace,
        [replicaEnv.version]: String(fn.version),
      },
      memory: fn.document.spec.resources?.memory,
      graceMs: options.graceMs,
      onLine: (stream, line, tag) => this.onLine(stream, line, tag),
      onSystem: (line) => host.logger.warn({ replica: this.id, function: this.functionName }, line),
      onExit: (exit) => this.onExit(exit),
    });
    this.lifeTimer = setTimeout(() => {
      if (this.state !== 'starting') return;
      this.startFailure ??= `it did not ask for work within ${options.startTimeoutMs} ms of its start`;
      void this.stop('start timeout');
    }, options.startTimeoutMs);
  }

  /** The function version this replica serves. */
  get version(): number {
    return this.options.fn.version;
  }

  /** Invocations in flight, abandoned ones included (they hold a slot until answered). */
  get load(): number {
    return this.inFlight.size;
  }

  /** Attempts the engine still counts on this replica. */
  running(): AttemptRef[] {
    return [...this.inFlight.values()].filter((entry) => !entry.abandoned).map((entry) => entry.ref);
  }

  /** Whether this attempt is in flight here. */
  holds(ref: AttemptRef): boolean {
    return this.inFlight.has(invocationId(ref.executionId, ref.attempt));
  }

  /** The engine stopped caring about an attempt: its outcome will be fenced, its slot is kept until answered. */
  abandon(ref: AttemptRef): void {
    const entry = this.inFlight.get(invocationId(ref.executionId, ref.attempt));
    if (entry) entry.abandoned = true;
  }

  /** No more work: the replica finishes, posts, and exits (stopped if it does not in time). */
  drain(why: string): void {
    if (this.state === 'stopped' || this.state === 'draining') return;
    this.host.logger.info({ replica: this.id, function: this.functionName, version: this.version, why }, 'replica draining');
    this.state = 'draining';
    this.kick.fire();
    this.host.changed(this);
    this.checkDrained();
  }

  /** Stops the process now (TERM, grace, KILL); its in-flight invocations are lost. */
  async stop(why: string): Promise<void> {
    if (this.state !== 'stopped') {
      this.stoppedBy ??= why;
      this.state = 'stopped';
      this.kick.fire();
    }
    await this.process.stop();
  }

  /** The controller is closing: stop without settling (the engine settles its attempts as Interrupted). */
  async close(): Promise<void> {
    this.closing = true;
    await this.stop('controller stopping');
  }

  /**
   * Holds up to `max` free slots for a direct handoff, within what the long polls of this replica
   * waiting for work now asked for; 0 when none waits. The slots count as taken until deliver.
   */
  hold(max: number): number {
    if (this.state !== 'ready') return 0;
    const room = this.pollingRoom - this.handoffHeld - this.delivered.length;
    const free = Math.min(max, room, this.holdLimit - this.inFlight.size - this.taking);
    if (free <= 0) return 0;
    this.taking += free;
    this.handoffHeld += free;
    return free;
  }

  /**
   * The attempts a handoff of `held` slots started for this replica: in flight from now on, and
   * handed over with the answer of the long poll it wakes (or, if that poll has ended, of the
   * next request). False when it takes no more work (draining, stopped): they must run elsewhere.
   */
  deliver(claimed: ClaimedAttempt[], held: number): boolean {
    this.taking -= held;
    this.handoffHeld -= held;
    if (claimed.length === 0) return true;
    if (this.state !== 'ready') return false;
    this.delivered.push(...this.handOut(claimed, neverAborted));
    this.kick.fire();
    return true;
  }

  /** The invocations a handoff delivered, for an answer whose connection is still open. */
  private takeDelivered(gone: StopSignal, max: number): Invocation[] {
    if (this.delivered.length === 0 || gone.aborted) return [];
    return this.delivered.splice(0, max);
  }

  async next(max: number, waitMs: number, gone: StopSignal): Promise<Invocation[] | 'draining'> {
    if (this.state === 'starting') {
      this.state = 'ready';
      clearTimeout(this.lifeTimer);
      this.host.changed(this);
    }
    const until = Date.now() + waitMs;
    for (;;) {
      // Started for it while it was ready: handed over even if it drains since.
      const delivered = this.takeDelivered(gone, max);
      if (delivered.length > 0) return delivered;
      if (this.state !== 'ready') return 'draining';
      const seen = this.kick.generation + this.host.work.generation;
      const free = Math.min(max, this.holdLimit - this.inFlight.size - this.taking);
      if (free > 0 && this.emptyAt !== this.host.work.generation) {
        const before = this.host.work.generation;
        this.taking += free;
        let claimed: ClaimedAttempt[];
        try {
          claimed = await this.host.take(this, free);
        } finally {
          this.taking -= free;
        }
        if (claimed.length > 0) return this.handOut(claimed, gone);
        this.lookedEmpty(before, 0);
      }
      const remaining = until - Date.now();
      if (remaining <= 0 || gone.aborted) return [];
      // Woken while looking: look again rather than wait for a wake-up that already came.
      if (this.kick.generation + this.host.work.generation !== seen) continue;
      this.pollingRoom += max;
      try {
        await WakeSignal.either(this.kick, this.host.work, remaining, gone);
      } finally {
        this.pollingRoom -= max;
      }
    }
  }

  async results(results: InvocationResult[], next?: ResultsNext, bodyBytes = Infinity): Promise<ResultsAnswer & { invocations?: Invocation[] | 'draining' }> {
    const endedAt = new Date();
    // The replica flushed its output before posting, so its pipes were readable no later than this
    // request: one turn of the event loop lets their reads run first, so the last lines (a failure's
    // stack) are still attributed to the invocation rather than to the replica's own log.
    await new Promise((resolve) => setImmediate(resolve));
    const settlements: ReplicaSettlement[] = [];
    const rejected: ResultsAnswer['rejected'] = [];
    const posted: string[] = [];
    for (const result of results) {
      const entry = this.inFlight.get(result.id);
      if (!entry) {
        rejected.push({ id: result.id, code: 'INVOCATION_NOT_IN_FLIGHT' });
        continue;
      }
      this.inFlight.delete(result.id);
      entry.capture?.flush();
      posted.push(result.id);
      // A body well under the limit cannot hold a result over it: no need to measure each one.
      settlements.push({ claimed: entry.claimed, outcome: this.reportOf(result, bodyBytes * resultGrowth > this.options.resultLimitBytes), endedAt });
    }
    // The batch taken with the settlement: as many as the replica asks, within what it may hold.
    const take = next && this.state === 'ready' ? Math.max(0, Math.min(next.max, this.holdLimit - this.inFlight.size - this.taking)) : 0;
    let applied: boolean[] = [];
    let claimed: ClaimedAttempt[] = [];
    const before = this.host.work.generation;
    // Nothing was ready at its last look and no work arrived since (lookedEmpty): its claim would
    // find nothing, so the settlement goes alone, a store step without the claim's statements
    // (a handed-off invoke leaves the queue as empty as it found it).
    // Unless what held queued work back may be the function's own limits, which this settlement
    // lifts: then it claims too, as the freed slot is not new work to its long polls (lookedEmpty).
    const claims = take > 0 && (this.emptyAt !== before || this.limitsMayHoldBack);
    this.taking += take;
    try {
      if (claims) {
        ({ applied, claimed } = await this.host.settleAndTake(this, settlements, take));
        // Before the kick below: a long poll of this replica it wakes must not claim again.
        if (claimed.length === 0) this.lookedEmpty(before, this.settlementFires);
      } else if (settlements.length > 0) {
        applied = await this.host.settle(settlements);
        if (take > 0) this.lookedEmpty(before, this.settlementFires);
      }
    } finally {
      this.taking -= take;
      // Slots are free either way: a failed settlement leaves the attempts to the lease reaper.
      this.kick.fire();
      this.checkDrained();
    }
    const accepted: string[] = [];
    for (let index = 0; index < posted.length; index++) {
      if (applied[index]) accepted.push(posted[index]);
      else rejected.push({ id: posted[index], code: 'INVOCATION_NOT_IN_FLIGHT' });
    }
    if (!next) return { accepted, rejected };
    const delivered = this.takeDelivered(next.gone, next.max);
    if (this.state !== 'ready' && claimed.length === 0 && delivered.length === 0) return { accepted, rejected, invocations: 'draining' };
    if (claimed.length > 0 || delivered.length > 0 || next.waitMs === 0 || take === 0) return { accepted, rejected, invocations: [...delivered, ...this.handOut(claimed, next.gone)] };
    return { accepted, rejected, invocations: await this.next(next.max, next.waitMs, next.gone) };
  }

  /** Fires of the pool's work a settlement of this replica makes itself (ReplicaPools.freed). */
  private get settlementFires(): number {
    return this.limitsMayHoldBack ? 1 : 0;
  }

  /**
   * A claim that began at work generation `before` found nothing. Unless work fired meanwhile
   * (an enqueue stored during a PostgreSQL claim may be outside its snapshot), a claim now would
   * find nothing too: the next ones wait for a fire. `own`: fires the claim's own step made (a
   * settlement wakes its pool for the slots it freed when the function's limits may have held
   * work back, and that step's claim already saw them).
   * Measured: at an arrival rate the replica keeps up with, one claim in three found nothing
   * this way, each a write transaction (test/replicas/idle-claims.test.ts).
   */
  private lookedEmpty(before: number, own: number): void {
    if (this.host.work.generation === before + own) this.emptyAt = this.host.work.generation;
  }

  initError(message: string): void {
    this.startFailure = message.slice(0, errorMessageLimit);
    this.host.logger.warn({ replica: this.id, function: this.functionName, error: this.startFailure }, 'replica reported a start failure');
  }

  /**
   * Whether a claim of this replica may find nothing while work is queued, for the function's own
   * limits: a parallelism below what its replicas run at once, or a limit per concurrency key.
   * A settlement frees a place under them, so the queue's last look does not stand for after it.
   */
  get limitsMayHoldBack(): boolean {
    const spec = this.options.fn.document.spec;
    return spec.concurrency !== undefined || spec.parallelism < (spec.warm?.max ?? 1) * this.holdLimit;
  }

  /** Most invocations this replica may hold: its slots, and what it may claim ahead of them. */
  private get holdLimit(): number {
    return this.options.concurrency + (this.options.prefetch ?? 0);
  }

  /** spec.timeout in ms, read once: every batch's deadline needs it. */
  private get timeoutMs(): number {
    this.timeoutMsCache ??= durationMs(this.options.fn.document.spec.timeout);
    return this.timeoutMsCache;
  }

  private get functionName(): string {
    return `${this.options.fn.namespace}/${this.options.fn.name}`;
  }

  /** Registers claimed attempts as in flight and turns them into invocations. */
  private handOut(claimed: ClaimedAttempt[], gone: StopSignal): Invocation[] {
    if (claimed.length === 0) return [];
    // One deadline for the whole batch: its invocations start together.
    const deadline = Date.now() + this.timeoutMs;
    const deadlineText = new Date(deadline).toISOString();
    const invocations: Invocation[] = [];
    for (const attempt of claimed) {
      const ref = { executionId: attempt.execution.id, attempt: attempt.attempt };
      const id = invocationId(ref.executionId, ref.attempt);
      this.inFlight.set(id, { claimed: attempt, ref, capture: undefined, deadline, abandoned: false });
      const invocation: Invocation = { id, executionId: ref.executionId, attempt: ref.attempt, deadline: deadlineText, input: attempt.execution.input ?? null };
      if (attempt.traceContext) Object.assign(invocation, attempt.traceContext);
      invocations.push(invocation);
    }
    this.watchDeadline(deadline);
    if (gone.aborted || this.state === 'stopped') {
      // Nobody will receive them: lost now, rather than at their deadline.
      void this.loseAll(invocations.map((invocation) => invocation.id), 'ReplicaLost', 'the replica hung up before its invocations were handed over');
      return [];
    }
    return invocations;
  }

  private reportOf(result: InvocationResult, measure: boolean): AttemptReport {
    if (result.status === 'failed') return { status: 'failed', exitCode: null, reason: 'Error', error: result.error.slice(0, errorMessageLimit), result: null };
    const value = result.result ?? null;
    const size = measure ? Buffer.byteLength(JSON.stringify(value)) : 0;
    if (size > this.options.resultLimitBytes) {
      return { status: 'failed', exitCode: null, reason: 'ResultTooLarge', error: `result of ${size} bytes exceeds the limit of ${this.options.resultLimitBytes} bytes`, result: null };
    }
    return { status: 'succeeded', exitCode: null, reason: null, error: null, result: value };
  }

  private onLine(stream: 'stdout' | 'stderr', line: Buffer, tag: string | undefined): void {
    let entry = tag === undefined ? undefined : this.inFlight.get(tag);
    if (tag === undefined && this.inFlight.size === 1) entry = this.inFlight.values().next().value;
    if (entry) {
      this.captureOf(entry).write(stream, Buffer.concat([line, newlineBuffer]));
      return;
    }
    this.host.logger.info({ replica: this.id, function: this.functionName, stream }, line.toString('utf8'));
  }

  private captureOf(entry: InFlight): LogCapture {
    const ref = entry.ref;
    entry.capture ??= new LogCapture({ limitBytes: this.options.logLimitBytes, onLines: (lines) => this.host.logs(ref, lines) });
    return entry.capture;
  }

  /**
   * Keeps one timer no later than the earliest deadline in flight. Deadlines only grow (each batch
   * gets now + timeout), so a new batch rarely moves it: the timer is re-armed when it fires, not
   * per batch, and an invocation answered early leaves it to fire once for nothing.
   */
  private watchDeadline(deadline: number): void {
    if (deadline >= this.deadlineTimerAt) return;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimerAt = deadline;
    this.deadlineTimer = setTimeout(() => this.deadlinePassed(), Math.min(Math.max(0, deadline - Date.now()), 2 ** 31 - 1));
  }

  /** Re-arms the timer at the earliest deadline still in flight, if any. */
  private rearmDeadline(): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.deadlineTimerAt = Infinity;
    let earliest = Infinity;
    for (const entry of this.inFlight.values()) earliest = Math.min(earliest, entry.deadline);
    if (earliest !== Infinity) this.watchDeadline(earliest);
  }

  private deadlinePassed(): void {
    this.deadlineTimer = undefined;
    this.deadlineTimerAt = Infinity;
    const now = Date.now();
    const expired = [...this.inFlight.entries()].filter(([, entry]) => entry.deadline <= now);
    if (expired.length === 0) {
      this.rearmDeadline();
      return;
    }
    const timeout = this.options.fn.document.spec.timeout;
    const settlements: ReplicaSettlement[] = [];
    for (const [id, entry] of expired) {
      this.inFlight.delete(id);
      const capture = this.captureOf(entry);
      capture.system(`[pontoon] timeout of ${timeout} reached: replica ${this.id} stopped`);
      capture.flush();
      if (entry.abandoned) continue;
      settlements.push({
        claimed: entry.claimed,
        outcome: { status: 'timed_out', exitCode: null, reason: 'DeadlineExceeded', error: `exceeded its timeout of ${timeout} and was stopped`, result: null },
        endedAt: new Date(),
      });
    }
    this.host.logger.warn({ replica: this.id, function: this.functionName, expired: expired.map(([id]) => id) }, 'invocation past its deadline: replica stopped');
    const others = [...this.inFlight.keys()];
    void this.settleQuietly(settlements);
    void this.loseAll(others, 'ReplicaLost', `its replica ${this.id} was stopped because another invocation on it passed its deadline`);
    void this.stop('deadline');
  }

  private async loseAll(ids: string[], reason: LostOutcome['reason'], error: string): Promise<void> {
    const settlements: ReplicaSettlement[] = [];
    for (const id of ids) {
      const entry = this.inFlight.get(id);
      if (!entry) continue;
      this.inFlight.delete(id);
      const capture = this.captureOf(entry);
      capture.system(`[pontoon] ${error}`);
      capture.flush();
      if (!entry.abandoned) settlements.push({ claimed: entry.claimed, outcome: { status: 'lost', reason, error }, endedAt: new Date() });
    }
    this.rearmDeadline();
    await this.settleQuietly(settlements);
  }

  private async settleQuietly(settlements: ReplicaSettlement[]): Promise<void> {
    if (settlements.length === 0) return;
    try {
      await this.host.settle(settlements);
    } catch (thrown) {
      // Their leases are no longer renewed once the engine let them go: the reaper settles them.
      this.host.logger.error({ err: thrown, replica: this.id }, 'settling a replica’s lost invocations failed');
    }
  }

  private onExit(exit: ReplicaExit): void {
    if (this.user) this.options.users?.release(this.user);
    this.user = undefined;
    clearTimeout(this.lifeTimer);
    clearTimeout(this.deadlineTimer);
    clearTimeout(this.drainTimer);
    const wasStarting = this.state === 'starting';
    this.state = 'stopped';
    this.failedStart = wasStarting && !this.stoppedBy;
    this.kick.fire();
    const how = exit.startError ?? (exit.signal ? `killed by signal ${exit.signal}` : `exited with code ${exit.code}`);
    const detail = [this.startFailure, exit.lastStderrLine.trim()].filter(Boolean).join(': ');
    const error = `its replica ${this.id} ${how}${detail ? `: ${detail.slice(0, errorMessageLimit)}` : ''}`;
    const expected = this.stoppedBy !== undefined || (exit.code === 0 && this.inFlight.size === 0);
    if (!expected) this.host.logger.warn({ replica: this.id, function: this.functionName, error }, wasStarting ? 'replica failed to start' : 'replica exited');
    else this.host.logger.info({ replica: this.id, function: this.functionName, why: this.stoppedBy ?? 'drained' }, 'replica stopped');
    const reason = exit.oomKilled ? 'OOMKilled' : 'ReplicaLost';
    const message = exit.oomKilled ? `${error} (memory limit ${this.options.fn.document.spec.resources?.memory} exceeded: OOMKilled)` : error;
    const settled = this.closing ? Promise.resolve() : this.loseAll([...this.inFlight.keys()], reason, message);
    void settled.finally(() => this.host.changed(this));
  }

  /** A draining replica with nothing in flight gets the grace period to exit by itself. */
  private checkDrained(): void {
    if (this.state !== 'draining' || this.inFlight.size > 0 || this.drainTimer) return;
    this.drainTimer = setTimeout(() => void this.stop('drained'), Math.max(this.options.graceMs, 2000));
  }
}

const newlineBuffer = Buffer.from('\n');

/** The signal of an answer not tied to a connection (a handoff's delivery: takeDelivered checks the connection). */
const neverAborted: StopSignal = { aborted: false, addEventListener() {}, removeEventListener() {} };

/**
 * How much larger a posted result can be once serialized again than as the replica wrote it: only
 * numbers grow (`1e20`, 4 bytes, is `100000000000000000000`, 21), and with the separators between
 * them a body at most this many times smaller than the limit holds no result over it.
 */
const resultGrowth = 6;
