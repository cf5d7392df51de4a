import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asError } from '../domain/errors.js';

/**
 * Whether attempts' memory limits can be enforced here, and how. Linux memory cgroups are the
 * only mechanism that counts a whole process tree and kills it on excess (what Kubernetes does
 * too); v1 and v2 differ in file names only.
 */
export type MemoryLimitSupport =
  | { enforced: true; version: 1 | 2; parent: string }
  | { enforced: false; reason: string };

/** One attempt's memory cgroup. */
export interface MemoryCgroup {
  path: string;
  /** The cgroup version of its hierarchy. */
  version: 1 | 2;
  /** Writing a pid here moves that process into the cgroup. */
  procsFile: string;
  /** True when the kernel's OOM killer killed a process of this cgroup. */
  oomKilled(): boolean;
  /** Kills what is left inside and removes the cgroup; false when it is still busy. */
  remove(): boolean;
}

interface CgroupMount {
  version: 1 | 2;
  mountPoint: string;
  root: string;
}

let cached: MemoryLimitSupport | undefined;

/**
 * Probes once (creating and removing a child cgroup) whether memory limits are enforced; the
 * server calls it at start to warn, each attempt reuses the answer.
 */
export function memoryLimitSupport(): MemoryLimitSupport {
  cached ??= probe();
  return cached;
}

function probe(): MemoryLimitSupport {
  if (process.platform !== 'linux') return { enforced: false, reason: `memory cgroups need Linux, this is ${process.platform}` };
  let parent: { version: 1 | 2; path: string } | undefined;
  try {
    parent = ownMemoryCgroup();
  } catch (thrown) {
    return { enforced: false, reason: `cannot read this process's cgroups: ${asError(thrown).message}` };
  }
  if (!parent) return { enforced: false, reason: 'no memory cgroup controller is mounted' };
  if (parent.version === 2) {
    const problem = enableV2Memory(parent.path);
    if (problem) return { enforced: false, reason: problem };
  }
  const probePath = join(parent.path, `pontoon-probe-${process.pid}`);
  try {
    mkdirSync(probePath);
    writeFileSync(join(probePath, parent.version === 1 ? 'memory.limit_in_bytes' : 'memory.max'), String(64 * 2 ** 20));
    return { enforced: true, version: parent.version, parent: parent.path };
  } catch (thrown) {
    return { enforced: false, reason: `cannot create a memory cgroup under ${parent.path}: ${asError(thrown).message}` };
  } finally {
    try {
      rmdirSync(probePath);
    } catch {
      // It was never created.
    }
  }
}

/** The directory of the cgroup this process is in now, in the hierarchy of `version` (memory's, for v1). */
export function currentMemoryCgroup(version: 1 | 2): string {
  const path = version === 2 ? ownV2Cgroup() : ownMemoryCgroup()?.path;
  if (!path) throw new Error(`this process is in no cgroup v${version} memory hierarchy`);
  return path;
}

/** Our own memory cgroup's directory, preferring a v1 memory hierarchy over the v2 one. */
function ownMemoryCgroup(): { version: 1 | 2; path: string } | undefined {
  const memberships = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  const mounts = cgroupMounts();
  const v1Line = memberships.find((line) => line.split(':')[1]?.split(',').includes('memory'));
  const v1Mount = mounts.find((mount) => mount.version === 1);
  if (v1Line && v1Mount) return { version: 1, path: join(v1Mount.mountPoint, relativeTo(v1Line.split(':').slice(2).join(':'), v1Mount.root)) };
  const v2Line = memberships.find((line) => line.startsWith('0::'));
  const v2Mount = mounts.find((mount) => mount.version === 2);
  if (v2Line && v2Mount) return { version: 2, path: join(v2Mount.mountPoint, relativeTo(v2Line.slice(3), v2Mount.root)) };
  return undefined;
}

/** This process's cgroup directory in the unified (v2) hierarchy, when one is mounted. */
export function ownV2Cgroup(): string | undefined {
  const line = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((entry) => entry.startsWith('0::'));
  const mount = cgroupMounts().find((entry) => entry.version === 2);
  return line && mount ? join(mount.mountPoint, relativeTo(line.slice(3), mount.root)) : undefined;
}

/** A cgroup path as seen from a mount whose root may itself be a cgroup (inside containers). */
function relativeTo(cgroupPath: string, mountRoot: string): string {
  if (mountRoot !== '/' && cgroupPath.startsWith(mountRoot)) return cgroupPath.slice(mountRoot.length) || '/';
  return cgroupPath;
}

/** Memory cgroup mounts from /proc/self/mountinfo: v1 mounts with the memory controller, and v2. */
function cgroupMounts(): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fsType, , superOptions = ''] = right.split(' ');
    const root = fields[3];
    const mountPoint = fields[4];
    if (fsType === 'cgroup' && superOptions.split(',').includes('memory')) mounts.push({ version: 1, mountPoint, root });
    if (fsType === 'cgroup2') mounts.push({ version: 2, mountPoint, root });
  }
  return mounts;
}

/** Makes the memory controller available to children of a v2 cgroup; the reason when it cannot. */
function enableV2Memory(path: string): string | undefined {
  try {
    const controllers = readFileSync(join(path, 'cgroup.controllers'), 'utf8').split(/\s+/);
    if (!controllers.includes('memory')) return `the memory controller is not enabled for cgroup ${path}`;
    const subtree = readFileSync(join(path, 'cgroup.subtree_control'), 'utf8').split(/\s+/);
    if (!subtree.includes('memory')) writeFileSync(join(path, 'cgroup.subtree_control'), '+memory');
    return undefined;
  } catch (thrown) {
    // v2 forbids processes in a cgroup that delegates controllers, so this fails unless the
    // server was started in a cgroup of its own (systemd `Delegate=yes` does that).
    return `cannot delegate the memory controller under ${path}: ${asError(thrown).message}`;
  }
}

/**
 * Creates a child cgroup limited to `limitBytes` (swap included where the kernel counts it), or
 * unlimited until limitMemoryCgroup() when `limitBytes` is undefined.
 */
export function createMemoryCgroup(support: Extract<MemoryLimitSupport, { enforced: true }>, name: string, limitBytes: number | undefined): MemoryCgroup {
  const path = join(support.parent, name);
  mkdirSync(path);
  try {
    if (limitBytes !== undefined) limitMemoryCgroup(support.version, path, limitBytes);
  } catch (thrown) {
    removeCgroup(path);
    throw thrown;
  }
  return {
    path,
    version: support.version,
    procsFile: join(path, 'cgroup.procs'),
    oomKilled: () => oomKills(support.version, path) > 0,
    remove: () => removeCgroup(path),
  };
}

/** Sets a memory cgroup's limit (memory and swap); v1 refuses (EBUSY) a limit below what it cannot reclaim. */
export function limitMemoryCgroup(version: 1 | 2, path: string, limitBytes: number): void {
  if (version === 1) {
    writeFileSync(join(path, 'memory.limit_in_bytes'), String(limitBytes));
    // memsw counts memory plus swap; equal to the limit means no swap on top of it.
    const swapFile = join(path, 'memory.memsw.limit_in_bytes');
    if (existsSync(swapFile)) writeFileSync(swapFile, String(limitBytes));
  } else {
    writeFileSync(join(path, 'memory.max'), String(limitBytes));
    const swapFile = join(path, 'memory.swap.max');
    if (existsSync(swapFile)) writeFileSync(swapFile, '0');
  }
}

function oomKills(version: 1 | 2, path: string): number {
  try {
    const text = readFileSync(join(path, version === 1 ? 'memory.oom_control' : 'memory.events'), 'utf8');
    const match = /^oom_kill (\d+)$/m.exec(text);
    if (match) return Number(match[1]);
    // Old v1 kernels have no oom_kill counter: a hit limit is the best evidence there is.
    if (version === 1) return Number(readFileSync(join(path, 'memory.failcnt'), 'utf8').trim());
    return 0;
  } catch {
    return 0;
  }
}

/** Kills any process left in a cgroup and removes it; false when it is still busy. */
export function removeCgroup(path: string): boolean {
  try {
    killCgroup(path);
    rmdirSync(path);
    return true;
  } catch (thrown) {
    return (thrown as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * SIGKILLs every process in a cgroup: through `cgroup.kill` where the kernel has it (v2, Linux
 * 5.14+), which also catches a process forking meanwhile; else one by one from `cgroup.procs`.
 */
export function killCgroup(path: string): void {
  const kill = join(path, 'cgroup.kill');
  if (existsSync(kill)) writeFileSync(kill, '1');
  else signalCgroup(path, 'SIGKILL');
}

/** Sends `signal` to every process listed in a cgroup. */
export function signalCgroup(path: string, signal: NodeJS.Signals): void {
  for (const pid of readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), signal);
    } catch {
      // Already gone.
    }
  }
}

/** Removes a cgroup, retrying briefly while its killed processes finish dying. */
export function removeCgroupSoon(path: string, tries = 20): void {
  if (removeCgroup(path) || tries <= 1) return;
  setTimeout(() => removeCgroupSoon(path, tries - 1), 50).unref();
}
