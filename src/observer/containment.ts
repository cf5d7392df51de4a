import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { asError } from '../domain/errors.js';
import { killCgroup, ownV2Cgroup, removeCgroupSoon, signalCgroup } from './memory-limit.js';

type Koffi = typeof import('koffi');

/**
 * How the processes an attempt starts are found when it ends, so that none outlives it: a process
 * group alone does not hold them, since `setsid` (or a double fork, then setsid) leaves it.
 * - `cgroup`: each attempt gets a cgroup v2 of its own, which every descendant joins at fork and
 *   cannot leave without write access to another cgroup; `cgroup.kill` ends them all at once.
 * - `subreaper`: where no cgroup can be made (no v2 hierarchy, or not ours to write), this process
 *   becomes a child subreaper, so orphans are re-parented to it rather than to init; at the end
 *   of an attempt its descendants are read from /proc and those whose environment names the
 *   attempt (PONTOON_EXECUTION_ID, PONTOON_ATTEMPT) are killed. A process that drops those
 *   variables and leaves its attempt's process tree escapes this fallback.
 * - `none`: not Linux; only the process group is signalled.
 */
export type ContainmentSupport =
  | { kind: 'cgroup'; parent: string }
  | { kind: 'subreaper'; reason: string }
  | { kind: 'none'; reason: string };

let cached: ContainmentSupport | undefined;

/** Probes once how this process can contain attempts (see ContainmentSupport). */
export function containmentSupport(): ContainmentSupport {
  cached ??= probe();
  return cached;
}

/**
 * `PONTOON_CONTAINMENT=subreaper` skips the cgroup: the observer moves itself in and out of each
 * attempt's cgroup, which an operator may not want (`pontoon up --pass-env PONTOON_CONTAINMENT`
 * hands it to the observer hosts), and the tests run the fallback with it.
 */
function probe(): ContainmentSupport {
  if (process.platform !== 'linux') return { kind: 'none', reason: `process containment needs Linux, this is ${process.platform}` };
  const why = process.env.PONTOON_CONTAINMENT === 'subreaper' ? 'PONTOON_CONTAINMENT=subreaper' : probeCgroup();
  if (typeof why !== 'string') return why;
  if (!becomeSubreaper()) return { kind: 'none', reason: `${why}, and prctl(PR_SET_CHILD_SUBREAPER) is not available` };
  return { kind: 'subreaper', reason: why };
}

/** A cgroup v2 parent we can create children under and move this process in and out of. */
function probeCgroup(): ContainmentSupport | string {
  let parent: string | undefined;
  try {
    parent = ownV2Cgroup();
  } catch (thrown) {
    return `cannot read this process's cgroup: ${asError(thrown).message}`;
  }
  if (!parent) return 'no cgroup v2 hierarchy is mounted';
  const probePath = join(parent, `pontoon-probe-${process.pid}`);
  try {
    mkdirSync(probePath);
    // Programs are started from inside their cgroup (see spawnInside), so moving there and back must work.
    writeFileSync(join(probePath, 'cgroup.procs'), String(process.pid));
    writeFileSync(join(parent, 'cgroup.procs'), String(process.pid));
    removeDeadHostsCgroups(parent);
    return { kind: 'cgroup', parent };
  } catch (thrown) {
    return `cannot create and enter a cgroup under ${parent}: ${asError(thrown).message}`;
  } finally {
    try {
      rmdirSync(probePath);
    } catch {
      // It was never created.
    }
  }
}

const prSetChildSubreaper = 36;
let subreaper: boolean | undefined;

/** Makes this process the reaper of its orphaned descendants (Linux 3.4+); false when it cannot. */
function becomeSubreaper(): boolean {
  if (subreaper !== undefined) return subreaper;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as Koffi;
    const prctl = koffi.load('libc.so.6').func('int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)');
    subreaper = prctl(prSetChildSubreaper, 1, 0, 0, 0) === 0;
  } catch {
    subreaper = false;
  }
  return subreaper;
}

/** What holds one attempt's processes, from before its program starts until it has ended. */
export interface Containment {
  /** The cgroup's path, for the work dir's record (the orphan sweep removes it); undefined without one. */
  readonly cgroup: string | undefined;
  /** Starts the program so that it, and all it starts, are contained; returns what `launch` returns. */
  spawnInside<T>(launch: () => T): T;
  /** Signals every contained process (TERM at the deadline reaches setsid'd children too). */
  signal(signal: NodeJS.Signals): void;
  /** The attempt is over: kills whatever it left behind, and frees what held it. */
  end(): void;
}

/**
 * The containment of one attempt, identified in its processes' environment by `executionId` and
 * `attempt`. `cgroup` is a cgroup the program joins by itself (a v2 memory cgroup, entered by the
 * launch wrapper), which then serves as the attempt's cgroup too: a process is in one v2 cgroup only.
 */
export function containAttempt(identity: { executionId: string; attempt: number }, cgroup?: string): Containment {
  const support = containmentSupport();
  if (support.kind === 'cgroup') return cgroup ? new JoinedCgroup(cgroup) : new AttemptCgroup(support.parent);
  if (support.kind === 'subreaper') return new Adopted(attemptName(identity.executionId, identity.attempt));
  return { cgroup: undefined, spawnInside: (launch) => launch(), signal: () => undefined, end: () => undefined };
}

/** A cgroup the program enters by itself; ended and removed with the attempt. */
class JoinedCgroup implements Containment {
  constructor(readonly cgroup: string) {}

  spawnInside<T>(launch: () => T): T {
    return launch();
  }

  signal(signal: NodeJS.Signals): void {
    try {
      signalCgroup(this.cgroup, signal);
    } catch {
      // Gone already.
    }
  }

  end(): void {
    try {
      killCgroup(this.cgroup);
    } catch {
      // Gone already.
    }
  }
}

/**
 * A cgroup of the attempt's own. The program is started from inside it: this process moves into
 * it for the spawn and back out after, so the program is in it from its first instruction (a
 * program moved in after it started could fork out first; a wrapper shell that joins the cgroup
 * and then execs the program costs a whole exec). Cgroups are reused (see takeCgroup).
 */
class AttemptCgroup extends JoinedCgroup {
  constructor(private readonly parent: string) {
    super(takeCgroup(parent));
  }

  override spawnInside<T>(launch: () => T): T {
    writeFileSync(join(this.cgroup, 'cgroup.procs'), String(process.pid));
    try {
      return launch();
    } finally {
      writeFileSync(join(this.parent, 'cgroup.procs'), String(process.pid));
    }
  }

  override end(): void {
    giveBack(this.cgroup);
  }
}

/**
 * Empty attempt cgroups of this process, kept for the next attempts: a new cgroup cost 0.11 ms to
 * make, 0.03 ms to remove, and moving into it the first time 0.41 ms, against 0.10 ms into one
 * used before (measured here on a loaded machine; on the cold-path benchmark the observer hosts'
 * CPU per execution grew by 0.4-0.6 ms with a new cgroup per attempt).
 */
const freeCgroups: string[] = [];
/** More than this many free cgroups are removed rather than kept. */
const freeCgroupsKept = 16;
let cgroupsMade = 0;

/** A free cgroup of this process under `parent`, or a new one (`pontoon-<pid>-<n>`). */
function takeCgroup(parent: string): string {
  const free = freeCgroups.pop();
  if (free !== undefined) return free;
  if (cgroupsMade === 0) process.once('exit', removeFreeCgroups);
  cgroupsMade += 1;
  const path = join(parent, `pontoon-${process.pid}-${cgroupsMade}`);
  mkdirSync(path);
  return path;
}

/**
 * Ends what an attempt's cgroup still holds, and keeps it for another attempt once it is empty.
 * Most attempts leave nothing behind: the listing is read first, and kill is written only if needed.
 */
function giveBack(path: string, tries = 20): void {
  let empty: boolean;
  try {
    empty = readFileSync(join(path, 'cgroup.procs'), 'utf8').length === 0;
    if (!empty) killCgroup(path);
  } catch {
    return; // Removed by someone else: nothing to keep.
  }
  if (empty && freeCgroups.length < freeCgroupsKept) freeCgroups.push(path);
  else if (empty || tries <= 1) removeCgroupSoon(path);
  else setTimeout(() => giveBack(path, tries - 1), 50).unref();
}

/** Removes the free cgroups when this process exits (the probe of the next one removes what a crash left). */
function removeFreeCgroups(): void {
  for (const path of freeCgroups.splice(0)) {
    try {
      rmdirSync(path);
    } catch {
      // Busy or gone: the next probe's cleanup tries again.
    }
  }
}

/**
 * Removes the empty cgroups that processes now dead left under `parent` (a crashed host's free
 * cgroups). One still holding processes is left to the orphan sweep of its server.
 */
function removeDeadHostsCgroups(parent: string): void {
  for (const name of readdirSync(parent)) {
    const owner = /^pontoon-(\d+)-\d+$/.exec(name)?.[1];
    if (owner === undefined || isAlive(Number(owner))) continue;
    try {
      rmdirSync(join(parent, name));
    } catch {
      // Still busy.
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (thrown) {
    return (thrown as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Attempts contained by adoption that are running in this process, as `executionId\0attempt`. */
const adoptedRunning = new Set<string>();

/** Ends an attempt's adopted processes (subreaper fallback, see ContainmentSupport). */
class Adopted implements Containment {
  readonly cgroup = undefined;

  constructor(private readonly name: string) {
    adoptedRunning.add(name);
  }

  spawnInside<T>(launch: () => T): T {
    return launch();
  }

  signal(): void {
    // Found only at the end: reading /proc for every signal costs too much.
  }

  end(): void {
    adoptedRunning.delete(this.name);
    endedAdopted.set(this.name, 1);
    scheduleSweep();
  }
}

/**
 * Ended attempts whose leftovers are still looked for, with the sweeps left: one when nothing was
 * found, more after a kill, for a child forked while the sweep read /proc.
 */
const endedAdopted = new Map<string, number>();
/** Processes a sweep killed and that may be left as our zombies, with the sweeps left to reap them. */
const toReap = new Map<number, number>();
let sweepTimer: NodeJS.Timeout | undefined;
let lastSweep = 0;

/**
 * A sweep reads every process's stat in /proc (11 ms for 100 processes measured here), so ends
 * close together share one, at most one every sweepIntervalMs.
 */
const sweepIntervalMs = 100;

function scheduleSweep(): void {
  if (sweepTimer) return;
  sweepTimer = setTimeout(sweepAdopted, Math.max(0, lastSweep + sweepIntervalMs - Date.now()));
}

/**
 * Kills our descendants whose environment names an ended attempt, and reaps those that were
 * re-parented to us. Only descendants are looked at: nothing outside this process's tree is ours.
 */
function sweepAdopted(): void {
  sweepTimer = undefined;
  lastSweep = Date.now();
  const table = processTable();
  const found = new Set<string>();
  for (const pid of descendantsOf(process.pid, table)) {
    if (table.get(pid)?.state === 'Z') continue;
    const owner = attemptOf(pid);
    if (owner === undefined || !endedAdopted.has(owner) || adoptedRunning.has(owner)) continue;
    found.add(owner);
    try {
      process.kill(pid, 'SIGKILL');
      toReap.set(pid, 10);
    } catch {
      // Gone already.
    }
  }
  for (const [owner, left] of endedAdopted) {
    if (found.has(owner)) endedAdopted.set(owner, 3);
    else if (left <= 1) endedAdopted.delete(owner);
    else endedAdopted.set(owner, left - 1);
  }
  reapKilled(table);
  if (toReap.size > 0 || endedAdopted.size > 0) scheduleSweep();
}

/** Reaps the killed processes that were re-parented to us and are now zombies. */
function reapKilled(table: Map<number, ProcessEntry>): void {
  for (const [pid, tries] of toReap) {
    const entry = table.get(pid);
    if (!entry || entry.ppid !== process.pid || (entry.state === 'Z' && reap(pid)) || tries <= 1) toReap.delete(pid);
    else toReap.set(pid, tries - 1);
  }
}

type WaitPid = (pid: number, status: Int32Array, options: number) => number;
let waitpid: WaitPid | undefined;
const waitNoHang = 1;

function reap(pid: number): boolean {
  try {
    waitpid ??= (createRequire(import.meta.url)('koffi') as Koffi).load('libc.so.6').func('int waitpid(int pid, int *status, int options)') as WaitPid;
    return waitpid(pid, new Int32Array(1), waitNoHang) === pid;
  } catch {
    return false;
  }
}

interface ProcessEntry {
  ppid: number;
  state: string;
}

/** Every process's parent and state, from /proc/<pid>/stat. */
function processTable(): Map<number, ProcessEntry> {
  const table = new Map<number, ProcessEntry>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      // The command name in parentheses may hold spaces and parentheses: fields follow the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(pid, { state: fields[0], ppid: Number(fields[1]) });
    } catch {
      // Exited meanwhile.
    }
  }
  return table;
}

function descendantsOf(root: number, table: Map<number, ProcessEntry>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of table) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const found: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** `executionId\0attempt` from a process's environment, when it names one. */
function attemptOf(pid: number): string | undefined {
  let environ: string;
  try {
    environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return undefined;
  }
  let executionId: string | undefined;
  let attempt: string | undefined;
  for (const variable of environ.split('\0')) {
    if (variable.startsWith('PONTOON_EXECUTION_ID=')) executionId = variable.slice('PONTOON_EXECUTION_ID='.length);
    else if (variable.startsWith('PONTOON_ATTEMPT=')) attempt = variable.slice('PONTOON_ATTEMPT='.length);
  }
  return executionId !== undefined && attempt !== undefined ? attemptName(executionId, attempt) : undefined;
}

/**
 * SIGKILLs every process (of this user: others' environments cannot be read) whose environment
 * names one of `attempts` (each as `attemptName()`), wherever it is in the process tree: for
 * attempts whose observer died, whose leftovers no subreaper adopted. Reads all of /proc, so it
 * is for such rare ends only. Returns the pids killed.
 */
export function killAttemptProcesses(attempts: ReadonlySet<string>): number[] {
  const killed: number[] = [];
  if (attempts.size === 0 || process.platform !== 'linux') return killed;
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const owner = attemptOf(pid);
    if (owner === undefined || !attempts.has(owner)) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // Gone already.
    }
  }
  return killed;
}

/** How an attempt is named in killAttemptProcesses. */
export function attemptName(executionId: string, attempt: number | string): string {
  return `${executionId}\0${attempt}`;
}
