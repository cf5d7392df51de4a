import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { asError } from '../domain/errors.js';
import { attemptName, attemptOf, descendantsOf, processEntry, processTable, reapZombie } from './attempt-processes.js';
import { killCgroup, memoryLimitSupport, ownV2Cgroup, signalCgroup } from './memory-limit.js';

type Koffi = typeof import('koffi');

/**
 * How the processes an attempt starts are held and found when it ends, so that none outlives it:
 * a process group alone does not hold them, since `setsid` (or a double fork, then setsid) leaves
 * it. Either way, the leftovers of an attempt are told apart by their environment, which names
 * the attempt (PONTOON_EXECUTION_ID, PONTOON_ATTEMPT), and killed when it ends.
 * - `cgroup`: this process (the observer host) moves once into a cgroup v2 of its own, where every
 *   program it starts, and all they start, are born and stay (leaving needs write access to
 *   another cgroup). A leftover that drops those variables is still held there, and ended with
 *   the host (and by the orphan sweep after a crash, which kills the whole cgroup).
 * - `subreaper`: where no cgroup can be made (no v2 hierarchy, or not ours to write), this process
 *   becomes a child subreaper, so orphans are re-parented to it rather than to init, and its
 *   descendants are read from /proc. A process that drops those variables escapes this fallback.
 * - `none`: not Linux (or PONTOON_CONTAINMENT=none); only the process group is signalled.
 *
 * A cgroup per attempt was tried first: the observer moved into the attempt's cgroup for each
 * spawn and back out (a program moved in after it started could fork out first). Moving into a
 * new cgroup measured 0.41 ms, into a used one 0.10 ms, out 0.05 ms, each waiting on the kernel's
 * cgroup migration lock; the cold-path benchmark's ratio to a bare spawn loop fell from 0.94-0.97
 * to 0.68-0.74 in alternated runs (on a shared machine whose runs swing by ±0.15). With one cgroup
 * per host, an attempt costs one read of that cgroup's process list: the observer's CPU per no-op
 * attempt measured 1.30-1.38 ms against 1.24-1.34 ms without containment.
 */
export type ContainmentSupport =
  | { kind: 'cgroup'; cgroup: string }
  | { kind: 'subreaper'; reason: string }
  | { kind: 'none'; reason: string };

let cached: ContainmentSupport | undefined;

/** Probes once how this process can contain attempts (see ContainmentSupport), and sets it up. */
export function containmentSupport(): ContainmentSupport {
  cached ??= probe();
  return cached;
}

/**
 * `PONTOON_CONTAINMENT=subreaper` (or `none`) skips the cgroup; `pontoon up --pass-env
 * PONTOON_CONTAINMENT` hands it to the observer hosts, and the tests run the fallback with it.
 */
function probe(): ContainmentSupport {
  if (process.platform !== 'linux') return { kind: 'none', reason: `process containment needs Linux, this is ${process.platform}` };
  if (process.env.PONTOON_CONTAINMENT === 'none') return { kind: 'none', reason: 'PONTOON_CONTAINMENT=none' };
  const why = process.env.PONTOON_CONTAINMENT === 'subreaper' ? 'PONTOON_CONTAINMENT=subreaper' : enterOwnCgroup();
  if (typeof why !== 'string') return why;
  if (!becomeSubreaper()) return { kind: 'none', reason: `${why}, and prctl(PR_SET_CHILD_SUBREAPER) is not available` };
  return { kind: 'subreaper', reason: why };
}

/**
 * Moves this process into a new cgroup v2 `pontoon-<pid>-<random>` beside its own (random, so that
 * a host with a reused pid never shares the cgroup of one that died); the reason when it cannot.
 */
function enterOwnCgroup(): ContainmentSupport | string {
  let parent: string | undefined;
  try {
    parent = ownV2Cgroup();
  } catch (thrown) {
    return `cannot read this process's cgroup: ${asError(thrown).message}`;
  }
  if (!parent) return 'no cgroup v2 hierarchy is mounted';
  // Memory cgroups are made beside our own cgroup, not inside the one we move to: a v2 cgroup
  // holding a process cannot hand the memory controller to children. The probe caches where.
  memoryLimitSupport();
  removeDeadHostsCgroups(parent);
  const cgroup = join(parent, `pontoon-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(cgroup);
    writeFileSync(join(cgroup, 'cgroup.procs'), String(process.pid));
    process.once('exit', () => leaveCgroup(parent, cgroup));
    return { kind: 'cgroup', cgroup };
  } catch (thrown) {
    try {
      rmdirSync(cgroup);
    } catch {
      // Never made.
    }
    return `cannot create and enter a cgroup under ${parent}: ${asError(thrown).message}`;
  }
}

/** Moves this process back to `parent` and removes its cgroup if nothing else is left in it. */
function leaveCgroup(parent: string, cgroup: string): void {
  try {
    writeFileSync(join(parent, 'cgroup.procs'), String(process.pid));
    rmdirSync(cgroup);
  } catch {
    // Something still runs there: removeDeadHostsCgroups removes it once it is empty.
  }
}

/**
 * Removes the empty cgroups of hosts that are gone (a cgroup cannot be removed by the process in
 * it), nested ones first: a host started by a process that is itself in such a cgroup (a test, a
 * server run as a function) makes its cgroup inside that one. One still holding processes is
 * left to the orphan sweep of its server.
 */
function removeDeadHostsCgroups(parent: string, depth = 0): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const owner = /^pontoon-(\d+)-[0-9a-f]{8}$/.exec(name)?.[1];
    if (owner === undefined) continue;
    if (depth < 4) removeDeadHostsCgroups(join(parent, name), depth + 1);
    if (processEntry(Number(owner)) !== undefined) continue;
    try {
      rmdirSync(join(parent, name));
    } catch {
      // Still busy.
    }
  }
}

const prSetChildSubreaper = 36;

/** Makes this process the reaper of its orphaned descendants (Linux 3.4+); false when it cannot. */
function becomeSubreaper(): boolean {
  try {
    const koffi = createRequire(import.meta.url)('koffi') as Koffi;
    const prctl = koffi.load('libc.so.6').func('int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)');
    return prctl(prSetChildSubreaper, 1, 0, 0, 0) === 0;
  } catch {
    return false;
  }
}

/**
 * Kills every process left in this process's cgroup but itself: the observer host does so as it
 * leaves, for leftovers that no attempt's end could tell apart.
 */
export function endContained(): void {
  const support = containmentSupport();
  if (support.kind !== 'cgroup') return;
  for (const pid of members(support.cgroup)) {
    if (pid === process.pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

/** What holds one attempt's processes, from before its program starts until it has ended. */
export interface Containment {
  /** The cgroup that holds the attempt's processes, for the work dir's record; undefined without one. */
  readonly cgroup: string | undefined;
  /** The program started as `pid`. */
  started(pid: number | undefined): void;
  /** Signals every contained process where that is cheap (a cgroup of the attempt's own). */
  signal(signal: NodeJS.Signals): void;
  /** The attempt is over: kills whatever it left behind. */
  end(): void;
}

/**
 * The containment of one attempt, identified in its processes' environment by `executionId` and
 * `attempt`. `joined` is a cgroup of the attempt's own that the program enters by itself (its v2
 * memory cgroup, entered by the launch wrapper): a process is in one v2 cgroup only, so that one
 * holds it, and is ended with it.
 */
export function containAttempt(identity: { executionId: string; attempt: number }, joined?: string): Containment {
  const support = containmentSupport();
  const name = attemptName(identity.executionId, identity.attempt);
  if (support.kind === 'none') return { cgroup: undefined, started: () => undefined, signal: () => undefined, end: () => undefined };
  return new TrackedAttempt(name, joined ?? (support.kind === 'cgroup' ? support.cgroup : undefined), joined);
}

/** Attempts running in this process, by name. */
const running = new Set<string>();
/** Their programs' pids. */
const leaders = new Set<number>();

class TrackedAttempt implements Containment {
  private leader: number | undefined;

  constructor(
    private readonly name: string,
    readonly cgroup: string | undefined,
    private readonly own: string | undefined,
  ) {
    running.add(name);
  }

  started(pid: number | undefined): void {
    this.leader = pid;
    if (pid !== undefined) leaders.add(pid);
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.own) return;
    try {
      signalCgroup(this.own, signal);
    } catch {
      // Gone already.
    }
  }

  end(): void {
    running.delete(this.name);
    if (this.leader !== undefined) leaders.delete(this.leader);
    if (this.own) {
      try {
        killCgroup(this.own);
      } catch {
        // Gone already.
      }
    }
    ended.set(this.name, 1);
    scheduleSweep(containmentSupport().kind === 'cgroup' ? 0 : subreaperGapMs);
  }
}

/**
 * Ended attempts whose leftovers are still looked for, with the sweeps left: one when nothing was
 * found, more after a kill, for a child forked while the sweep read the process list.
 */
const ended = new Map<string, number>();
/** Processes a sweep killed that may be left as our zombies (subreaper), with the sweeps left to reap them. */
const toReap = new Map<number, number>();
let sweepTimer: NodeJS.Timeout | undefined;
let lastSweep = 0;

/**
 * A subreaper's sweep reads all of /proc, so ends close together share one: at most one a second
 * while sweeps find nothing (at one every 100 ms, the cold-path benchmark's observer CPU per
 * no-op attempt went from 1.6 ms to 3.7-3.9 ms), one every 100 ms while they find leftovers. An
 * end after a quiet second is swept at once. A cgroup's sweep reads one short list and runs at
 * once after an end.
 */
const quietGapMs = 1000;
const busyGapMs = 100;
let subreaperGapMs = busyGapMs;

/** Sweeps `intervalMs` after the last sweep at the earliest. */
function scheduleSweep(intervalMs: number): void {
  if (sweepTimer) return;
  sweepTimer = setTimeout(sweep, Math.max(0, lastSweep + intervalMs - Date.now()));
}

/**
 * Kills the processes held for this process (its cgroup's members, or its descendants) whose
 * environment names an ended attempt, and reaps those re-parented to us. Nothing outside what
 * this process holds is looked at.
 */
function sweep(): void {
  sweepTimer = undefined;
  lastSweep = Date.now();
  const support = containmentSupport();
  const table = support.kind === 'subreaper' ? processTable() : undefined;
  const candidates = support.kind === 'cgroup' ? members(support.cgroup) : descendantsOf(process.pid, table!);
  const found = new Set<string>();
  for (const pid of candidates) {
    // The programs of running attempts (and this process) are never leftovers; most sweeps stop here.
    if (pid === process.pid || leaders.has(pid) || table?.get(pid)?.state === 'Z') continue;
    const owner = attemptOf(pid);
    if (owner === undefined || !ended.has(owner) || running.has(owner)) continue;
    found.add(owner);
    try {
      process.kill(pid, 'SIGKILL');
      if (table) toReap.set(pid, 10);
    } catch {
      // Gone already.
    }
  }
  for (const [owner, left] of ended) {
    if (found.has(owner)) ended.set(owner, 3);
    else if (left <= 1) ended.delete(owner);
    else ended.set(owner, left - 1);
  }
  if (table) reapKilled(table);
  subreaperGapMs = found.size > 0 || toReap.size > 0 ? busyGapMs : quietGapMs;
  // Again while the killed are dying, or an ended attempt is still looked for.
  if (toReap.size > 0 || ended.size > 0) scheduleSweep(table ? subreaperGapMs : 20);
}

/** Reaps the killed processes that were re-parented to us and are now zombies. */
function reapKilled(table: Map<number, { ppid: number; state: string }>): void {
  for (const [pid, tries] of toReap) {
    const entry = table.get(pid);
    if (!entry || entry.ppid !== process.pid || (entry.state === 'Z' && reapZombie(pid)) || tries <= 1) toReap.delete(pid);
    else toReap.set(pid, tries - 1);
  }
}

/** The pids in a cgroup (empty once it is gone). */
function members(cgroup: string): number[] {
  try {
    return readFileSync(join(cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
