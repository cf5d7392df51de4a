import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { asError } from '../domain/errors.js';
import type { AttemptReport } from '../domain/execution.js';
import { formatDuration } from '../domain/duration.js';
import { parseMemory } from '../domain/quantity.js';
import type { LogLine } from '../store/store.js';
import { contractEnv, workDirFiles, type AttemptIdentity } from './contract.js';
import { resolveExecutable } from './executable.js';
import { defaultLauncher } from './launch.js';
import type { LaunchedProgram, Launcher } from './launched-program.js';
import { LogCapture } from './log-capture.js';
import { containAttempt, type Containment } from './containment.js';
import { giveWorkDir, startInCgroup, userEnv, userLauncher, type ProcessUser } from './as-user.js';
import { createMemoryCgroup, limitMemoryCgroup, memoryLimitSupport, removeCgroupSoon, type MemoryCgroup } from './memory-limit.js';
import { reportExit, type ProgramExit } from './outcome.js';

/** Everything needed to run one attempt's program under the function contract. */
export interface ProgramOptions {
  /** The attempt's own directory: created if missing; input, output and error files live here. */
  workDir: string;
  /** Program and arguments, started without a shell. */
  command: string[];
  /** Working directory of the program (the work dir when not given). */
  cwd?: string;
  /** Environment the program inherits before the function's own (default: this process's). */
  baseEnv?: NodeJS.ProcessEnv;
  /** The function's `spec.env`. */
  functionEnv?: Record<string, string>;
  /** The launch plan's env, applied after spec.env; the contract variables come last. */
  planEnv?: Record<string, string>;
  identity: AttemptIdentity;
  input: unknown;
  deadline: Date;
  /** spec.timeout as written, for messages. */
  timeout: string;
  /** How long after SIGTERM the program gets before SIGKILL. */
  graceMs: number;
  logLimitBytes: number;
  resultLimitBytes: number;
  /** spec.resources.memory, such as `64Mi`. */
  memory?: string;
  /** Receives the attempt's log lines in batches, in order. */
  onLogs(lines: LogLine[]): void;
  /** How the program is started (default: the fastest this machine supports, or as `user`). */
  launcher?: Launcher;
  /** The user the program runs as (default: the observer's own); it alone can read the work dir. */
  user?: ProcessUser;
}

/** A running program. */
export interface ProgramHandle {
  /** Process id (and process group id) of the program; undefined when it could not start. */
  readonly pid: number | undefined;
  /** How the attempt ended; undefined when it was stopped, since a stopped attempt reports nothing. */
  readonly report: Promise<AttemptReport | undefined>;
  /** TERM to the whole process group, KILL after the grace period; resolves once it is gone. */
  stop(): Promise<void>;
  /** SIGKILL now to the program and everything it started (its watcher is going away). */
  kill(): void;
  /**
   * The cgroup holding the attempt's processes (the observer's, shared with its other attempts),
   * for the orphan sweep's record; undefined without one, or when it is the memory cgroup.
   */
  readonly attemptCgroup: string | undefined;
}

/** How long to wait for the pipes to close after exit, in case an escaped process still holds them. */
const pipeDrainMs = 1000;

/**
 * Runs one attempt's program: writes its input, starts it in its own process group with the
 * contract environment, captures its logs, enforces its deadline and memory limit, and judges how
 * it ended. Throws only when the work dir cannot be prepared; a program that cannot be started is
 * reported as `StartFailed`.
 */
export function runProgram(options: ProgramOptions): ProgramHandle {
  return new ProgramRun(options);
}

class ProgramRun implements ProgramHandle {
  readonly pid: number | undefined;
  readonly report: Promise<AttemptReport | undefined>;
  private resolveReport!: (report: AttemptReport | undefined) => void;
  private readonly capture: LogCapture;
  private readonly child: LaunchedProgram | undefined;
  private readonly files: { input: string; output: string; error: string };
  private cgroup: MemoryCgroup | undefined;
  /** Holds every process the attempt starts, so that none outlives it (see containment.ts). */
  private containment: Containment | undefined;
  private contained = false;
  private exit: ProgramExit | undefined;
  private settled = false;
  private stopped = false;
  private timedOut = false;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ProgramOptions) {
    this.report = new Promise((resolve) => (this.resolveReport = resolve));
    this.capture = new LogCapture({ limitBytes: options.logLimitBytes, onLines: options.onLogs });
    const dir = options.workDir;
    this.files = { input: join(dir, workDirFiles.input), output: join(dir, workDirFiles.output), error: join(dir, workDirFiles.error) };
    // Synchronous on purpose: each thread-pool round trip adds latency to every attempt, and with
    // few attempts in flight latency is what the cold-start benchmark measures (async setup
    // measured 0.5 of a bare spawn loop, sync 0.7+).
    // 0700 and 0600 whoever runs it: the input is the caller's data, not other users'.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(this.files.input, JSON.stringify(options.input ?? null), { mode: 0o600 });
    const user = options.user;
    if (user) giveWorkDir(dir, [this.files.input], user);

    const cwd = options.cwd ?? dir;
    const env: NodeJS.ProcessEnv = {
      ...(options.baseEnv ?? process.env),
      ...(user ? userEnv(user, dir) : {}),
      ...options.functionEnv,
      ...options.planEnv,
      ...contractEnv(options.identity, this.files, options.deadline),
    };
    const argv = this.withMemoryLimit(options.command, cwd, env);
    let child: LaunchedProgram;
    try {
      if (!argv) throw Object.assign(new Error('not found'), { code: 'ENOENT' });
      const containment = this.contain();
      const launch = options.launcher ?? (user ? userLauncher(user) : defaultLauncher());
      const cgroup = this.cgroup;
      child = user && cgroup ? startInCgroup(cgroup, () => launch(argv, { cwd, env })) : launch(argv, { cwd, env });
      containment.started(child.pid);
      if (user && cgroup) this.applyDeferredLimit(cgroup);
    } catch (thrown) {
      // Invalid arguments make spawn throw rather than emit 'error'; both are start failures.
      this.pid = undefined;
      this.child = undefined;
      this.onError(asError(thrown), cwd);
      return;
    }
    this.child = child;
    this.pid = child.pid;
    child.on('error', (error) => this.onError(error, cwd));
    child.stdout?.on('data', (chunk: Buffer) => this.capture.write('stdout', chunk));
    child.stdout?.on('end', () => this.capture.end('stdout'));
    child.stderr?.on('data', (chunk: Buffer) => this.capture.write('stderr', chunk));
    child.stderr?.on('end', () => this.capture.end('stderr'));
    child.on('exit', (code, signal) => this.onExit({ code, signal }));
    child.on('close', () => this.finish());
    if (child.pid !== undefined) this.armDeadline();
  }

  get attemptCgroup(): string | undefined {
    const own = this.containment?.cgroup;
    return own !== this.cgroup?.path ? own : undefined;
  }

  kill(): void {
    this.signalGroup('SIGKILL');
    this.endContainment();
  }

  stop(): Promise<void> {
    this.stopped = true;
    if (!this.exit && !this.settled) this.terminate();
    return this.report.then(() => undefined);
  }

  /**
   * Puts the program in a fresh memory cgroup when a limit is declared and cgroups are usable,
   * by starting it through a shell that joins the cgroup and then execs it, so that no byte is
   * allocated outside the limit. Returns undefined when the program cannot be found.
   */
  private withMemoryLimit(command: string[], cwd: string, env: NodeJS.ProcessEnv): string[] | undefined {
    const memory = this.options.memory;
    const bytes = memory === undefined ? undefined : parseMemory(memory);
    if (memory === undefined || bytes === undefined) return command;
    const support = memoryLimitSupport();
    if (!support.enforced) {
      this.capture.system(`[pontoon] memory limit ${memory} not enforced: ${support.reason}`);
      return command;
    }
    const program = resolveExecutable(command[0], cwd, env.PATH);
    if (!program) return undefined;
    try {
      // Another user's program is started inside its cgroup by us (startInCgroup), and limited after.
      this.cgroup = createMemoryCgroup(support, `pontoon-${basename(this.options.workDir)}`, this.options.user ? undefined : bytes);
      // Recorded so that an executor restarting after a crash can remove a cgroup it left behind.
      writeFileSync(join(this.options.workDir, workDirFiles.cgroup), this.cgroup.path, { mode: 0o600 });
    } catch (thrown) {
      if (this.cgroup) removeCgroupSoon(this.cgroup.path);
      this.cgroup = undefined;
      this.capture.system(`[pontoon] memory limit ${memory} not enforced: cannot create its cgroup: ${asError(thrown).message}`);
      return command;
    }
    if (this.options.user) return [program, ...command.slice(1)];
    // The cgroup path travels as $0 so that no path is ever quoted into the script.
    return ['/bin/sh', '-c', 'echo $$ > "$0" && exec "$@"', this.cgroup.procsFile, program, ...command.slice(1)];
  }

  /**
   * The memory limit of a program started inside its cgroup as another user. Written a moment
   * after its start, so a v1 kernel may refuse a limit below what the program already uses: it is
   * then stopped, as it would have been for going over.
   */
  private applyDeferredLimit(cgroup: MemoryCgroup): void {
    try {
      limitMemoryCgroup(cgroup.version, cgroup.path, parseMemory(this.options.memory!)!);
    } catch (thrown) {
      this.capture.system(`[pontoon] cannot apply the memory limit ${this.options.memory}: ${asError(thrown).message}; SIGKILL sent`);
      this.signalGroup('SIGKILL');
    }
  }

  /** The attempt's containment: made before its program starts, so nothing it starts is missed. */
  private contain(): Containment {
    // A v2 memory cgroup holds the program and all it starts (a process is in one v2 cgroup only).
    const memory = this.cgroup?.version === 2 ? this.cgroup.path : undefined;
    this.containment = containAttempt(this.options.identity, memory);
    return this.containment;
  }

  /** Ends every process the attempt started, once. */
  private endContainment(): void {
    if (this.contained) return;
    this.contained = true;
    this.containment?.end();
  }

  private armDeadline(): void {
    // setTimeout holds at most 2^31-1 ms (24.8 days); longer timeouts are clamped to that.
    const delay = Math.min(Math.max(0, this.options.deadline.getTime() - Date.now()), 2 ** 31 - 1);
    this.deadlineTimer = setTimeout(() => {
      this.deadlineTimer = undefined;
      this.timedOut = true;
      this.capture.system(`[pontoon] timeout of ${this.options.timeout} reached: SIGTERM sent`);
      this.terminate();
    }, delay);
  }

  /** TERM to the process group now, KILL after the grace period. */
  private terminate(): void {
    this.signalGroup('SIGTERM');
    // Processes that left the group (setsid) get their TERM too, where the cgroup lists them.
    this.containment?.signal('SIGTERM');
    if (this.killTimer) return;
    this.killTimer = setTimeout(() => {
      this.capture.system(`[pontoon] still running ${formatDuration(this.options.graceMs)} after SIGTERM: SIGKILL sent`);
      this.signalGroup('SIGKILL');
    }, this.options.graceMs);
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (this.pid === undefined) return;
    try {
      // A negative pid addresses the process group the detached program leads.
      process.kill(-this.pid, signal);
    } catch {
      // The group is already gone.
    }
  }

  private onError(error: Error, cwd: string): void {
    if (this.pid !== undefined || this.settled) return;
    const code = (error as NodeJS.ErrnoException).code;
    const program = this.options.command[0];
    if (code === 'ENOENT' && !existsSync(cwd)) this.startFailed(`cannot start ${program}: working directory ${cwd} does not exist`);
    else if (code === 'ENOENT') this.startFailed(`cannot start ${program}: not found (ENOENT)`);
    else if (code === 'EACCES') this.startFailed(`cannot start ${program}: permission denied (EACCES)`);
    else this.startFailed(`cannot start ${program}: ${error.message}`);
  }

  private onExit(exit: ProgramExit): void {
    this.exit = exit;
    clearTimeout(this.deadlineTimer);
    clearTimeout(this.killTimer);
    // Whatever the program left behind dies with it, as in a container: its group, and what
    // left the group (setsid, double fork) but not its containment.
    this.signalGroup('SIGKILL');
    this.endContainment();
    this.drainTimer = setTimeout(() => {
      this.child?.stdout?.destroy();
      this.child?.stderr?.destroy();
    }, pipeDrainMs);
  }

  private startFailed(message: string): void {
    this.settle({ status: 'failed', exitCode: null, reason: 'StartFailed', error: message, result: null });
  }

  /** All pipes are closed after exit: judge the outcome and report it. */
  private finish(): void {
    if (this.settled || !this.exit) return;
    clearTimeout(this.drainTimer);
    // Pipes destroyed after the drain wait end without 'end': keep their last partial lines.
    this.capture.end('stdout');
    this.capture.end('stderr');
    let report: AttemptReport;
    try {
      report = reportExit(this.exit, {
        outputFile: this.files.output,
        errorFile: this.files.error,
        resultLimitBytes: this.options.resultLimitBytes,
        timedOut: this.timedOut,
        timeout: this.options.timeout,
        oomKilledAt: this.cgroup?.oomKilled() ? this.options.memory : undefined,
        lastStderrLine: this.capture.lastStderrLine,
      });
    } catch (thrown) {
      report = { status: 'failed', exitCode: this.exit.code, reason: 'Error', error: `cannot read the attempt's output: ${asError(thrown).message}`, result: null };
    }
    this.settle(report);
  }

  private settle(report: AttemptReport): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.deadlineTimer);
    clearTimeout(this.killTimer);
    this.capture.flush();
    this.endContainment();
    if (this.cgroup) removeCgroupSoon(this.cgroup.path);
    this.resolveReport(this.stopped ? undefined : report);
  }
}
