import { asError } from '../../domain/errors.js';
import { parseMemory } from '../../domain/quantity.js';
import { resolveExecutable } from '../../observer/executable.js';
import { defaultLauncher } from '../../observer/launch.js';
import type { LaunchedProgram } from '../../observer/launched-program.js';
import { createMemoryCgroup, limitMemoryCgroup, memoryLimitSupport, removeCgroupSoon, type MemoryCgroup } from '../../observer/memory-limit.js';
import { startInCgroup, userEnv, userLauncher, type ProcessUser } from '../../observer/as-user.js';
import { logTagByte } from './protocol.js';

/** How a replica's process ended. */
export interface ReplicaExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The kernel killed a process of the replica for its memory limit. */
  oomKilled: boolean;
  lastStderrLine: string;
  /** The process could not be started at all (ENOENT, EACCES), with why. */
  startError?: string;
}

/** What a replica process is started with. */
export interface ReplicaProcessOptions {
  /** Names the replica's memory cgroup. */
  id: string;
  command: string[];
  cwd: string;
  /** The complete environment (inherited, spec.env, plan env, replica variables). */
  env: NodeJS.ProcessEnv;
  /** spec.resources.memory: the limit of the replica's whole process tree. */
  memory?: string;
  /** The user it runs as (default: this process's); its HOME is then `/`, as systemd gives a DynamicUser. */
  user?: ProcessUser;
  graceMs: number;
  /** One line of output; `tag` is the invocation id of a tagged line (the tag removed). */
  onLine(stream: 'stdout' | 'stderr', line: Buffer, tag: string | undefined): void;
  /** Pontoon's own remarks about the process (limit not enforced, SIGKILL sent). */
  onSystem(line: string): void;
  onExit(exit: ReplicaExit): void;
}

/** Longest line kept whole; longer ones are cut here (the per-attempt capture cuts further). */
const maxLineBytes = 1 << 20;
const newline = 0x0a;
const space = 0x20;

/**
 * One replica's process: started as the observer starts programs (the same launcher, a session
 * and process group of its own, inherited env, the memory cgroup wrapper), its output split into
 * lines with their invocation tags read, stopped with TERM then KILL to its whole group.
 */
export class ReplicaProcess {
  readonly pid: number | undefined;
  private readonly child: LaunchedProgram | undefined;
  private cgroup: MemoryCgroup | undefined;
  private readonly partial: Record<'stdout' | 'stderr', Buffer | undefined> = { stdout: undefined, stderr: undefined };
  private lastStderrLine = '';
  private exited = false;
  private killTimer: NodeJS.Timeout | undefined;
  /** Resolves once the process has exited and its pipes are read. */
  readonly ended: Promise<void>;
  private markEnded!: () => void;

  constructor(private readonly options: ReplicaProcessOptions) {
    this.ended = new Promise((resolve) => (this.markEnded = resolve));
    const argv = this.withMemoryLimit(options.command);
    let child: LaunchedProgram;
    try {
      if (!argv) throw Object.assign(new Error(`cannot start ${options.command[0]}: not found (ENOENT)`), { code: 'ENOENT' });
      const user = options.user;
      const env = user ? { ...options.env, ...userEnv(user, '/'), TMPDIR: options.env.TMPDIR } : options.env;
      const launch = user ? userLauncher(user) : defaultLauncher();
      const cgroup = this.cgroup;
      child = user && cgroup ? startInCgroup(cgroup, () => launch(argv, { cwd: options.cwd, env })) : launch(argv, { cwd: options.cwd, env });
      if (user && cgroup) this.applyDeferredLimit(cgroup);
    } catch (thrown) {
      this.pid = undefined;
      queueMicrotask(() => this.startFailed(asError(thrown)));
      return;
    }
    this.child = child;
    this.pid = child.pid;
    child.on('error', (error) => this.startFailed(error));
    child.stdout?.on('data', (chunk: Buffer) => this.read('stdout', chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.read('stderr', chunk));
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      clearTimeout(this.killTimer);
      // What the replica left behind in its group dies with it, as in a container.
      this.signal('SIGKILL');
    });
    child.on('close', () => {
      if (!exit) return;
      this.flushPartial('stdout');
      this.flushPartial('stderr');
      this.finish({ ...exit, oomKilled: this.cgroup?.oomKilled() ?? false, lastStderrLine: this.lastStderrLine });
    });
  }

  /** TERM to the whole process group now, KILL after the grace period; resolves once it is gone. */
  stop(): Promise<void> {
    if (this.exited || this.pid === undefined) return this.ended;
    this.signal('SIGTERM');
    this.killTimer ??= setTimeout(() => {
      this.options.onSystem(`[pontoon] replica still running ${this.options.graceMs} ms after SIGTERM: SIGKILL sent`);
      this.signal('SIGKILL');
    }, this.options.graceMs);
    return this.ended;
  }

  /** KILL to the whole process group at once (a deadline passed: the grace was the deadline). */
  kill(): Promise<void> {
    this.signal('SIGKILL');
    return this.ended;
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.pid === undefined) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // The group is already gone.
    }
  }

  private startFailed(error: Error): void {
    if (this.pid !== undefined && this.child) return;
    const code = (error as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' || code === 'EACCES' ? `cannot start ${this.options.command[0]}: ${code}` : error.message;
    this.finish({ code: null, signal: null, oomKilled: false, lastStderrLine: '', startError: message });
  }

  private finish(exit: ReplicaExit): void {
    if (this.exited) return;
    this.exited = true;
    clearTimeout(this.killTimer);
    if (this.cgroup) removeCgroupSoon(this.cgroup.path);
    this.options.onExit(exit);
    this.markEnded();
  }

  /** The memory cgroup wrapper of run-program.ts: the shell joins the cgroup, then execs the replica. */
  private withMemoryLimit(command: string[]): string[] | undefined {
    const memory = this.options.memory;
    const bytes = memory === undefined ? undefined : parseMemory(memory);
    if (memory === undefined || bytes === undefined) return command;
    const support = memoryLimitSupport();
    if (!support.enforced) {
      this.options.onSystem(`[pontoon] memory limit ${memory} not enforced: ${support.reason}`);
      return command;
    }
    const program = resolveExecutable(command[0], this.options.cwd, this.options.env.PATH);
    if (!program) return undefined;
    try {
      // Another user's process is started inside its cgroup by us (startInCgroup), and limited after.
      this.cgroup = createMemoryCgroup(support, `pontoon-replica-${this.options.id}`, this.options.user ? undefined : bytes);
    } catch (thrown) {
      this.options.onSystem(`[pontoon] memory limit ${memory} not enforced: cannot create its cgroup: ${asError(thrown).message}`);
      return command;
    }
    if (this.options.user) return [program, ...command.slice(1)];
    return ['/bin/sh', '-c', 'echo $$ > "$0" && exec "$@"', this.cgroup.procsFile, program, ...command.slice(1)];
  }

  /** As run-program.ts: the limit of a process started inside its cgroup, written after its start. */
  private applyDeferredLimit(cgroup: MemoryCgroup): void {
    try {
      limitMemoryCgroup(cgroup.version, cgroup.path, parseMemory(this.options.memory!)!);
    } catch (thrown) {
      this.options.onSystem(`[pontoon] cannot apply the memory limit ${this.options.memory}: ${asError(thrown).message}; SIGKILL sent`);
      this.signal('SIGKILL');
    }
  }

  private read(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const pending = this.partial[stream];
    const buffer = pending ? Buffer.concat([pending, chunk]) : chunk;
    let start = 0;
    for (let end = buffer.indexOf(newline, start); end !== -1; end = buffer.indexOf(newline, start)) {
      this.line(stream, buffer.subarray(start, end > start && buffer[end - 1] === 0x0d ? end - 1 : end));
      start = end + 1;
    }
    let rest = buffer.subarray(start);
    while (rest.length > maxLineBytes) {
      this.line(stream, rest.subarray(0, maxLineBytes));
      rest = rest.subarray(maxLineBytes);
    }
    this.partial[stream] = rest.length > 0 ? Buffer.from(rest) : undefined;
  }

  private flushPartial(stream: 'stdout' | 'stderr'): void {
    const pending = this.partial[stream];
    this.partial[stream] = undefined;
    if (pending) this.line(stream, pending);
  }

  private line(stream: 'stdout' | 'stderr', bytes: Buffer): void {
    let tag: string | undefined;
    let text = bytes;
    if (bytes[0] === logTagByte) {
      const cut = bytes.indexOf(space);
      tag = bytes.subarray(1, cut === -1 ? bytes.length : cut).toString('utf8');
      text = cut === -1 ? Buffer.alloc(0) : bytes.subarray(cut + 1);
    }
    if (stream === 'stderr' && text.length > 0) this.lastStderrLine = text.toString('utf8');
    this.options.onLine(stream, text, tag);
  }
}
