import { rmdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { byteLimit, deliverToSink } from '../attempt-helpers.js';
import { durationMs } from '../../domain/duration.js';
import { asError } from '../../domain/errors.js';
import type { AttemptReport } from '../../domain/execution.js';
import type { HostEvent } from '../../observer/host/protocol.js';
import { inheritedEnv } from '../../observer/inherited-env.js';
import type { FunctionUser, FunctionUsers } from '../users/function-users.js';
import type { Runtimes } from '../../runtimes/runtime.js';
import type { AttemptRef, ClaimedAttempt } from '../../store/store.js';
import type { AttemptSink, Executor, StopReason } from '../executor.js';
import { FunctionSecrets } from '../secrets/function-secrets.js';
import { ObserverHost } from './observer-host.js';
import { sweepOrphans, sweepWorkDir, workDirName } from './orphans.js';
import { ensureWorkRoot } from './work-root.js';

/** What a local executor is made with. */
export interface LocalExecutorOptions {
  sink: AttemptSink;
  runtimes: Runtimes;
  /** Directory owned by this executor alone; each attempt gets `<executionId>-<attempt>/` in it. */
  workRoot: string;
  /** How long a program gets between SIGTERM and SIGKILL. */
  graceMs: number;
  /** Log bytes kept per attempt unless the function sets `spec.limits.logs`. */
  logLimitBytes: number;
  /** Largest result accepted unless the function sets `spec.limits.result`. */
  resultLimitBytes: number;
  /** How many observer hosts share the attempts (default: one per CPU, at most 4). */
  hosts?: number;
  /** Variables of this process's environment that programs inherit besides PATH, HOME and the like. */
  passEnv?: readonly string[];
  /** Who programs run as (see resolveRunAs); default: this process's user. */
  users?: FunctionUsers;
  /** Resolves `spec.secrets` and redacts their values from logs; without it, a function with secrets fails to start. */
  secrets?: FunctionSecrets;
}

/** One attempt this executor is responsible for, from start() until its end is known. */
interface LocalAttempt {
  ref: AttemptRef;
  workDir: string;
  /** The host running its program; undefined while its launch plan is being made. */
  host?: ObserverHost;
  /** The user its program runs as, given back once it ended. */
  user?: FunctionUser;
  stopped: boolean;
  /** Settles once the attempt has ended (its report, if any, handed to the sink). */
  ended: Promise<void>;
  markEnded(): void;
}

/**
 * The executor port on local child processes: each attempt's program runs under the observer
 * (function contract, logs, deadline, memory limit) in its own process group. The programs are
 * started by observer hosts, small processes this executor forks on first use (see
 * src/observer/host/main.ts), because forking from the controller itself is what limited local
 * throughput: spawn cost grows with the parent's memory (1.2 ms of CPU per spawn at 64 MiB RSS,
 * 2.4 ms at 170 MiB). There is one host per CPU (at most 4) and each attempt goes to the least
 * busy one, so that spawns, the host's main cost, run on several cores at once: with 2 hosts
 * instead of 1, the cold-path benchmark went from 300-310 to 336-345 executions/s.
 *
 * bench/cold-path.ts, 2,000 no-op executions at parallelism 2 on 2 cores shared with other work
 * (so bare-loop figures swung from 190 to 610 spawns/s between runs), the two designs run in
 * alternation, executions/s old → new: 65 → 300, 232 → 275, 145 → 106, 182 → 217, 228 → 265,
 * 251 → 260, 176 → 254 (medians 182 → 260; ratio to the bare loop of the same run 0.34–0.53 →
 * 0.40–1.0, mostly 0.50–0.56). With the host, the controller's main thread is ~64% idle and the
 * host's is ~50% in spawn(): what is left is latency (the extra process hop, and the engine's
 * settle and claim between one attempt and the next). Acknowledging each start from the host
 * (start() resolving on it) measured 256–341 attempts/s through the executor alone against
 * 330–367 without; JSON serialisation beat 'advanced' in 3 of 3 runs (413/384/275 vs 386/361/239).
 * Since then the hosts start programs with posix_spawn where they can (src/observer/launch.ts),
 * which copies no page tables at all: the cold-path ratio went from 0.69–0.73 to 0.86–0.91. The hosts
 * still keep spawns and log capture off the controller's thread and spread them over the cores.
 *
 * When the host dies, the attempts it ran are reported failed ("the observer host exited"), their
 * process groups killed if they still run (found through their pid files, so a program whose host
 * died between spawning it and writing that file escapes), and the next start() forks a new host.
 * They are not left to the lease reaper, because the engine keeps renewing the leases of the
 * attempts it started. When the controller dies, the host kills the attempts and exits.
 */
export class LocalExecutor implements Executor {
  readonly kind = 'local';
  private readonly attempts = new Map<string, LocalAttempt>();
  /** Observer hosts by slot; a slot is empty until first used and after its host died. */
  private readonly hosts: (ObserverHost | undefined)[];
  private closed = false;
  private readonly secrets: FunctionSecrets;

  constructor(private readonly options: LocalExecutorOptions) {
    this.secrets = options.secrets ?? new FunctionSecrets(undefined);
    // Refused when another user could write there (and so tamper with attempts' files).
    ensureWorkRoot(options.workRoot, options.users !== undefined);
    this.hosts = new Array<ObserverHost | undefined>(Math.max(1, options.hosts ?? Math.min(4, availableParallelism()))).fill(undefined);
    // Anything left under the work root belongs to a previous run of this executor (and its
    // observer host) that died.
    sweepOrphans(options.workRoot);
  }

  /**
   * Launches a claimed attempt: makes its launch plan and hands it to the observer host, without
   * waiting for an acknowledgement (one more IPC hop per attempt). Throws
   * when the plan cannot be made (the engine records that as StartFailed); a work dir that cannot
   * be written or a program that cannot be executed is reported through the sink as StartFailed.
   */
  async start(claimed: ClaimedAttempt): Promise<void> {
    if (this.closed) throw new Error('the local executor is closed');
    const ref: AttemptRef = { executionId: claimed.execution.id, attempt: claimed.attempt };
    const key = workDirName(ref.executionId, ref.attempt);
    if (this.attempts.has(key)) throw new Error(`attempt ${ref.attempt} of execution ${ref.executionId} is already running`);
    let markEnded!: () => void;
    const entry: LocalAttempt = {
      ref,
      workDir: join(this.options.workRoot, key),
      stopped: false,
      ended: new Promise((resolve) => (markEnded = resolve)),
      markEnded: () => markEnded(),
    };
    // Registered before the plan is awaited, so the lease is renewed and stop() works meanwhile.
    this.attempts.set(key, entry);
    try {
      const fn = claimed.function;
      const spec = fn.document.spec;
      // Resolved per attempt: a rotated secret reaches the next attempt; a missing one fails this one.
      const [plan, secretEnv] = await Promise.all([this.options.runtimes.plan(fn), this.secrets.resolve(spec.secrets)]);
      if (entry.stopped || this.closed) {
        this.forget(key, entry);
        return;
      }
      entry.user = this.options.users?.acquire();
      entry.host = this.liveHost();
      entry.host.idle(false);
      entry.host.send({
        type: 'start',
        key,
        program: {
          workDir: entry.workDir,
          command: plan.command,
          cwd: plan.cwd,
          // Passed over the host's pipe, in memory only: never to a file, the store or a log.
          functionEnv: { ...spec.env, ...secretEnv },
          planEnv: plan.env,
          identity: { executionId: ref.executionId, attempt: ref.attempt, namespace: fn.namespace, function: fn.name, version: fn.version, traceContext: claimed.traceContext },
          input: claimed.execution.input,
          deadlineMs: Date.now() + durationMs(spec.timeout),
          timeout: spec.timeout,
          graceMs: this.options.graceMs,
          logLimitBytes: byteLimit(spec.limits?.logs, this.options.logLimitBytes),
          resultLimitBytes: byteLimit(spec.limits?.result, this.options.resultLimitBytes),
          memory: spec.resources?.memory,
          ...(entry.user ? { user: entry.user } : {}),
        },
      });
    } catch (thrown) {
      this.forget(key, entry);
      throw asError(thrown);
    }
  }

  async stop(ref: AttemptRef, _reason: StopReason): Promise<void> {
    const entry = this.attempts.get(workDirName(ref.executionId, ref.attempt));
    if (!entry) return;
    entry.stopped = true;
    // Commands reach the host in order, so this stop finds the program its start began.
    entry.host?.send({ type: 'stop', key: workDirName(ref.executionId, ref.attempt) });
    await entry.ended;
  }

  running(): AttemptRef[] {
    return [...this.attempts.values()].map((entry) => entry.ref);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.attempts.values()].map((entry) => this.stop(entry.ref, 'shutdown')));
    const hosts = this.hosts.splice(0, this.hosts.length, ...this.hosts.map(() => undefined));
    await Promise.all(hosts.map((host) => host?.close()));
    // An empty work root is left by every clean stop; on tmpfs they would pile up in memory.
    try {
      rmdirSync(this.options.workRoot);
    } catch {
      // Not empty (an attempt's dir a sweep will find) or already gone.
    }
  }

  /**
   * The observer host with the fewest attempts, forked on first use of its slot and again after
   * one died. Spreading attempts lets their spawns (the host's main cost) run on several cores.
   */
  private liveHost(): ObserverHost {
    let best = 0;
    let fewest = Infinity;
    for (let slot = 0; slot < this.hosts.length; slot++) {
      const load = this.hosts[slot] ? this.load(this.hosts[slot]) : 0;
      if (load < fewest) [best, fewest] = [slot, load];
    }
    const existing = this.hosts[best];
    if (existing) return existing;
    const host: ObserverHost = new ObserverHost(
      {
        event: (event) => this.onHostEvent(host, event),
        exited: (why) => this.onHostExit(host, why),
      },
      inheritedEnv(process.env, this.options.passEnv),
    );
    this.hosts[best] = host;
    return host;
  }

  private load(host: ObserverHost | undefined): number {
    let count = 0;
    for (const entry of this.attempts.values()) if (entry.host === host) count++;
    return count;
  }

  private onHostEvent(host: ObserverHost, event: Exclude<HostEvent, { type: 'ready' }>): void {
    const entry = this.attempts.get(event.key);
    if (!entry || entry.host !== host) return;
    if (event.type === 'logs') {
      deliverToSink(() => this.options.sink.logs(entry.ref, this.secrets.redactLines(event.lines)));
      return;
    }
    this.forget(event.key, entry);
    if (event.report && !entry.stopped) deliverToSink(() => this.options.sink.finished(entry.ref, this.secrets.redactReport(event.report as AttemptReport)));
  }

  /**
   * The host died: nobody watches its attempts any more. Each is cleaned up as the orphan sweep
   * would (process group killed if it still runs that attempt, work dir and cgroup removed) and
   * reported failed, so that the retry policy decides, as for any failure.
   */
  private onHostExit(host: ObserverHost, why: string): void {
    const slot = this.hosts.indexOf(host);
    if (slot !== -1) this.hosts[slot] = undefined;
    for (const [key, entry] of [...this.attempts]) {
      if (entry.host !== host) continue;
      try {
        sweepWorkDir(entry.workDir);
      } catch (thrown) {
        process.emitWarning(`cannot clean up attempt work dir ${entry.workDir}: ${asError(thrown).message}`);
      }
      this.forget(key, entry);
      const error = `the observer host exited (${why}) while the attempt ran`;
      if (!entry.stopped) deliverToSink(() => this.options.sink.finished(entry.ref, { status: 'failed', exitCode: null, reason: 'Error', error, result: null }));
    }
  }

  /** Forgets an attempt and lets stop() return; the host removes its work dir. */
  private forget(key: string, entry: LocalAttempt): void {
    if (this.attempts.get(key) === entry) this.attempts.delete(key);
    // Its processes are gone (group and containment killed before the host reports an end).
    if (entry.user) this.options.users?.release(entry.user);
    entry.user = undefined;
    entry.markEnded();
    if (entry.host && this.load(entry.host) === 0) entry.host.idle(true);
  }

}
