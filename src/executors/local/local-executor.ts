import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { durationMs } from '../../domain/duration.js';
import { asError } from '../../domain/errors.js';
import type { AttemptReport } from '../../domain/execution.js';
import { parseMemory } from '../../domain/quantity.js';
import { runProgram, type ProgramHandle } from '../../observer/run-program.js';
import type { Runtimes } from '../../runtimes/runtime.js';
import type { AttemptRef, ClaimedAttempt } from '../../store/store.js';
import type { AttemptSink, Executor, StopReason } from '../executor.js';
import { pidFile, sweepOrphans, workDirName } from './orphans.js';

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
}

/** One attempt this executor is responsible for, from start() until its report is sent. */
interface LocalAttempt {
  ref: AttemptRef;
  workDir: string;
  /** Set once the program runs; undefined while its launch plan is being made. */
  program?: ProgramHandle;
  stopped: boolean;
  /** Settles once the attempt has ended and its work dir is gone. */
  ended: Promise<void>;
}

/**
 * The executor port on local child processes: each attempt's program runs under the observer
 * (function contract, logs, deadline, memory limit) in its own process group.
 */
export class LocalExecutor implements Executor {
  readonly kind = 'local';
  private readonly attempts = new Map<string, LocalAttempt>();
  private closed = false;

  constructor(private readonly options: LocalExecutorOptions) {
    mkdirSync(options.workRoot, { recursive: true });
    // Anything left under the work root belongs to a previous run of this executor that died.
    sweepOrphans(options.workRoot);
  }

  /**
   * Launches a claimed attempt. Throws when its launch plan cannot be made or its work dir cannot
   * be written (the engine records that as StartFailed); a program that cannot be executed is
   * reported through the sink as StartFailed instead.
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
    };
    // Registered before the plan is awaited, so the lease is renewed and stop() works meanwhile.
    this.attempts.set(key, entry);
    try {
      const fn = claimed.function;
      const spec = fn.document.spec;
      const plan = await this.options.runtimes.plan(fn);
      if (entry.stopped) {
        this.end(key, entry);
        markEnded();
        return;
      }
      entry.program = runProgram({
        workDir: entry.workDir,
        command: plan.command,
        cwd: plan.cwd,
        functionEnv: spec.env,
        planEnv: plan.env,
        identity: { executionId: ref.executionId, attempt: ref.attempt, namespace: fn.namespace, function: fn.name, version: fn.version },
        input: claimed.execution.input,
        deadline: new Date(Date.now() + durationMs(spec.timeout)),
        timeout: spec.timeout,
        graceMs: this.options.graceMs,
        logLimitBytes: limitOf(spec.limits?.logs, this.options.logLimitBytes),
        resultLimitBytes: limitOf(spec.limits?.result, this.options.resultLimitBytes),
        memory: spec.resources?.memory,
        onLogs: (lines) => this.deliver(() => this.options.sink.logs(ref, lines)),
      });
      const program = entry.program;
      if (entry.stopped) void program.stop();
      // The pid file only serves the orphan sweep after a crash: failing to write it must not fail
      // an attempt that is already running.
      if (program.pid !== undefined) {
        try {
          writeFileSync(join(entry.workDir, pidFile), String(program.pid));
        } catch (thrown) {
          process.emitWarning(`cannot write the pid file of ${key}: ${asError(thrown).message}`);
        }
      }
    } catch (thrown) {
      this.end(key, entry);
      markEnded();
      throw asError(thrown);
    }
    void entry.program.report.then((report) => {
      if (this.attempts.get(key) === entry) this.attempts.delete(key);
      if (report && !entry.stopped) this.deliver(() => this.options.sink.finished(ref, report as AttemptReport));
      // Removed after the report is handed over, in the same tick: the report is not delayed by it.
      this.end(key, entry);
      markEnded();
    });
  }

  async stop(ref: AttemptRef, _reason: StopReason): Promise<void> {
    const entry = this.attempts.get(workDirName(ref.executionId, ref.attempt));
    if (!entry) return;
    entry.stopped = true;
    if (entry.program) await entry.program.stop();
    await entry.ended;
  }

  running(): AttemptRef[] {
    return [...this.attempts.values()].map((entry) => entry.ref);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.attempts.values()].map((entry) => this.stop(entry.ref, 'shutdown')));
  }

  /**
   * Forgets an attempt and removes its work dir. Synchronously: rmSync took 0.15 ms per attempt
   * here where fs.promises.rm took 1 ms of thread-pool round trips, CPU the spawns compete for.
   */
  private end(key: string, entry: LocalAttempt): void {
    if (this.attempts.get(key) === entry) this.attempts.delete(key);
    try {
      rmSync(entry.workDir, { recursive: true, force: true });
    } catch (thrown) {
      process.emitWarning(`cannot remove attempt work dir ${entry.workDir}: ${asError(thrown).message}`);
    }
  }

  /** Calls the sink without letting its failure break the observer's bookkeeping. */
  private deliver(call: () => void): void {
    try {
      call();
    } catch (thrown) {
      process.emitWarning(`attempt sink failed: ${asError(thrown).message}`);
    }
  }
}

function limitOf(declared: string | undefined, fallback: number): number {
  return (declared === undefined ? undefined : parseMemory(declared)) ?? fallback;
}
