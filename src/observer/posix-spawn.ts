import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import type { LaunchedProgram, LaunchOptions } from './launched-program.js';
import { resolveExecutable } from './executable.js';

type Koffi = typeof import('koffi');

/** The libc calls a spawn needs, bound once. */
interface Libc {
  posixSpawn(pid: Int32Array, path: string, actions: Buffer, attributes: Buffer, argv: (string | null)[], envp: (string | null)[]): number;
  actionsInit(actions: Buffer): number;
  actionsDestroy(actions: Buffer): number;
  addOpen(actions: Buffer, fd: number, path: string, flags: number, mode: number): number;
  addDup2(actions: Buffer, fd: number, newFd: number): number;
  addChdir(actions: Buffer, path: string): number;
  pipe2(fds: Int32Array, flags: number): number;
  close(fd: number): number;
  waitpid(pid: number, status: Int32Array, options: number): number;
  /** errno of the calling thread, read right after a failed call. */
  errno(): number;
  /** The attributes every spawn shares: new session, empty signal mask, every signal at default. */
  attributes: Buffer;
  /** File actions, reset for each spawn (spawns are synchronous, so one buffer serves them all). */
  actions: Buffer;
}

// Linux values, the same in glibc and on x86-64 and arm64.
const posixSpawnSetSigDefault = 0x04;
const posixSpawnSetSigMask = 0x08;
const posixSpawnSetSid = 0x80;
const openReadOnly = 0;
const openCloseOnExec = 0o2000000;
const waitNoHang = 1;
// Larger than glibc's posix_spawnattr_t (336 bytes), posix_spawn_file_actions_t (80) and sigset_t (128).
const opaqueBytes = 512;

let libc: Libc | null | undefined;

function bindLibc(): Libc | null {
  if (process.platform !== 'linux') return null;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as Koffi;
    const lib = koffi.load('libc.so.6');
    const call = (prototype: string) => lib.func(prototype) as (...args: any[]) => number;
    const bound = {
      posixSpawn: call('int posix_spawn(int *pid, const char *path, void *actions, void *attributes, const char **argv, const char **envp)'),
      actionsInit: call('int posix_spawn_file_actions_init(void *actions)'),
      actionsDestroy: call('int posix_spawn_file_actions_destroy(void *actions)'),
      addOpen: call('int posix_spawn_file_actions_addopen(void *actions, int fd, const char *path, int flags, uint32_t mode)'),
      addDup2: call('int posix_spawn_file_actions_adddup2(void *actions, int fd, int newFd)'),
      addChdir: call('int posix_spawn_file_actions_addchdir_np(void *actions, const char *path)'),
      pipe2: call('int pipe2(int *fds, int flags)'),
      close: call('int close(int fd)'),
      waitpid: call('int waitpid(int pid, int *status, int options)'),
      errno: () => koffi.errno(),
      attributes: Buffer.alloc(opaqueBytes),
      actions: Buffer.alloc(opaqueBytes),
    };
    const emptySet = Buffer.alloc(opaqueBytes);
    const fullSet = Buffer.alloc(opaqueBytes);
    call('int sigemptyset(void *set)')(emptySet);
    call('int sigfillset(void *set)')(fullSet);
    const failed = [
      call('int posix_spawnattr_init(void *attributes)')(bound.attributes),
      // Node ignores SIGPIPE, and an ignored signal stays ignored across exec: reset them all.
      call('int posix_spawnattr_setsigdefault(void *attributes, void *set)')(bound.attributes, fullSet),
      call('int posix_spawnattr_setsigmask(void *attributes, void *set)')(bound.attributes, emptySet),
      call('int posix_spawnattr_setflags(void *attributes, short flags)')(bound.attributes, posixSpawnSetSid | posixSpawnSetSigDefault | posixSpawnSetSigMask),
    ].some((result) => result !== 0);
    return failed ? null : bound;
  } catch {
    // No koffi build for this machine, or a libc without these calls (musl, glibc before 2.29).
    return null;
  }
}

function boundLibc(): Libc | null {
  if (libc === undefined) libc = bindLibc();
  return libc;
}

/** True when programs can be started with libc's posix_spawn here. */
export function posixSpawnSupported(): boolean {
  return boundLibc() !== null;
}

/**
 * Starts a program with posix_spawn() and watches it as Node watches its own children: its pipes
 * as sockets, its end through SIGCHLD. Throws when posix_spawn is not supported here.
 */
export function spawnWithPosixSpawn(argv: string[], options: LaunchOptions): LaunchedProgram {
  const c = boundLibc();
  if (!c) throw new Error('posix_spawn is not available on this machine');
  return new PosixSpawnedProgram(c, argv, options);
}

class PosixSpawnedProgram extends EventEmitter implements LaunchedProgram {
  readonly pid: number | undefined;
  readonly stdout: Socket | null = null;
  readonly stderr: Socket | null = null;
  private openStreams = 0;
  private exited = false;

  constructor(c: Libc, argv: string[], { cwd, env }: LaunchOptions) {
    super();
    // posix_spawnp() would search the PATH of this process; the program's own PATH decides, as
    // with Node's spawn. A name found nowhere is not started at all: posix_spawn would take it for
    // a path in the working directory.
    const program = argv[0].includes('/') ? argv[0] : resolveExecutable(argv[0], cwd, env.PATH);
    const out = new Int32Array(2);
    const err = new Int32Array(2);
    const pid = new Int32Array(1);
    let error = 0;
    if (program === undefined) error = constants.errno.ENOENT;
    else if (c.pipe2(out, openCloseOnExec) !== 0) error = c.errno();
    else if (c.pipe2(err, openCloseOnExec) !== 0) {
      error = c.errno();
      closeAll(c, out);
    } else {
      c.actionsInit(c.actions);
      c.addOpen(c.actions, 0, '/dev/null', openReadOnly, 0);
      c.addDup2(c.actions, out[1], 1);
      c.addDup2(c.actions, err[1], 2);
      c.addChdir(c.actions, cwd);
      const envp = Object.entries(env).flatMap(([name, value]) => (value === undefined ? [] : [`${name}=${value}`]));
      error = c.posixSpawn(pid, program, c.actions, c.attributes, [...argv, null], [...envp, null]);
      c.actionsDestroy(c.actions);
      c.close(out[1]);
      c.close(err[1]);
      if (error !== 0) {
        c.close(out[0]);
        c.close(err[0]);
      }
    }
    if (error !== 0) {
      this.pid = undefined;
      const code = errnoName(error);
      process.nextTick(() => this.emit('error', Object.assign(new Error(`spawn ${argv[0]} ${code}`), { code, errno: -error, syscall: 'spawn', path: argv[0] })));
      return;
    }
    this.pid = pid[0];
    this.stdout = this.watchStream(out[0]);
    this.stderr = this.watchStream(err[0]);
    awaitExit(c, pid[0], (status) => this.onExit(status));
  }

  private watchStream(fd: number): Socket {
    const socket = new Socket({ fd, readable: true, writable: false });
    this.openStreams++;
    socket.once('close', () => {
      this.openStreams--;
      this.closeIfDone();
    });
    return socket;
  }

  private onExit(status: number | undefined): void {
    this.exited = true;
    const { code, signal } = decodeWaitStatus(status);
    this.emit('exit', code, signal);
    this.closeIfDone();
  }

  private closeIfDone(): void {
    if (this.exited && this.openStreams === 0) this.emit('close');
  }
}

function closeAll(c: Libc, fds: Int32Array): void {
  for (const fd of fds) c.close(fd);
}

/** Programs started here that have not been reaped yet, with what to call when they are. */
const waiting = new Map<number, (status: number | undefined) => void>();
let listening = false;
let poll: NodeJS.Timeout | undefined;

/**
 * Reaps `pid` when it exits: on SIGCHLD, which Node delivers to every listener, and once a second
 * as well. The timer is what keeps this process alive while programs run, as a ChildProcess
 * handle would: signal listeners do not.
 */
function awaitExit(c: Libc, pid: number, onExit: (status: number | undefined) => void): void {
  if (!listening) {
    listening = true;
    process.on('SIGCHLD', () => reapExited(c));
  }
  waiting.set(pid, onExit);
  poll ??= setInterval(() => reapExited(c), 1000);
}

const waitStatus = new Int32Array(1);

function reapExited(c: Libc): void {
  for (const [pid, onExit] of waiting) {
    // Only our own pids: Node reaps its children itself, by pid too.
    const reaped = c.waitpid(pid, waitStatus, waitNoHang);
    if (reaped === 0) continue;
    waiting.delete(pid);
    // -1 (ECHILD): someone else reaped it, and its status is lost.
    onExit(reaped === pid ? waitStatus[0] : undefined);
  }
  if (waiting.size === 0 && poll) {
    clearInterval(poll);
    poll = undefined;
  }
}

/** An exit code or the signal that ended the process, from a wait status. */
export function decodeWaitStatus(status: number | undefined): { code: number | null; signal: NodeJS.Signals | null } {
  if (status === undefined) return { code: null, signal: null };
  const termSignal = status & 0x7f;
  if (termSignal === 0) return { code: (status >> 8) & 0xff, signal: null };
  const name = Object.entries(constants.signals).find(([, number]) => number === termSignal)?.[0] as NodeJS.Signals | undefined;
  return { code: null, signal: name ?? null };
}

function errnoName(errno: number): string {
  return Object.entries(constants.errno).find(([, number]) => number === errno)?.[0] ?? `errno ${errno}`;
}
