import { readFileSync, readdirSync } from 'node:fs';

/** Linux reports process times in clock ticks of 1/100 s (USER_HZ, fixed at 100 on x86 and arm). */
const tickMs = 10;

/**
 * The fields of /proc/<pid>/stat after the command (which may hold spaces), starting at `state`:
 * the parent pid is the 2nd of them, utime the 12th. Undefined once the process is gone.
 */
function statFields(pid: number | string): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  } catch {
    return undefined;
  }
}

/** CPU time in ms a process (or a thread: `<pid>/task/<tid>`) used itself, and what its reaped children used; undefined without /proc. */
export function processCpu(pid: number | string): { self: number; children: number } | undefined {
  const fields = statFields(pid);
  if (!fields) return undefined;
  return { self: (Number(fields[11]) + Number(fields[12])) * tickMs, children: (Number(fields[13]) + Number(fields[14])) * tickMs };
}

/** The pids of a process's children (the observer hosts of a server). */
export function childPids(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries.filter((entry) => /^\d+$/.test(entry) && statFields(entry)?.[1] === String(pid)).map(Number);
}

/**
 * CPU time in ms of a PostgreSQL server whose data directory is `dataDir`: its backends and
 * helpers (children of the postmaster) while they live, and what the exited ones used.
 */
export function postgresCpuMs(dataDir: string): number {
  const postmaster = Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
  const live = childPids(postmaster).reduce((sum, pid) => sum + (processCpu(pid)?.self ?? 0), 0);
  return live + (processCpu(postmaster)?.children ?? 0);
}

/** Every live descendant of a process (its children's children included). */
export function descendants(pid: number): number[] {
  let children: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      children.push(...readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
    }
  } catch {
    return [];
  }
  children = [...new Set(children)];
  return [...children, ...children.flatMap(descendants)];
}

/**
 * CPU time in ms of a process and its live descendants, with what the children they reaped used:
 * the difference of two readings counts children that started or ended in between.
 */
export function treeCpuMs(pid: number): number {
  return [pid, ...descendants(pid)].reduce((sum, member) => {
    const cpu = processCpu(member);
    return sum + (cpu ? cpu.self + cpu.children : 0);
  }, 0);
}
