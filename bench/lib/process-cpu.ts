/** CPU time of processes, read from /proc (Linux), for benchmarks. */
import { readdirSync, readFileSync } from 'node:fs';

/** Fields of /proc/<pid>/stat after the command name: utime, stime, cutime, cstime, in clock ticks (100 per second on Linux). */
function statTicks(pid: number | string): { own: number; reaped: number } {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { own: Number(fields[11]) + Number(fields[12]), reaped: Number(fields[13]) + Number(fields[14]) };
  } catch {
    return { own: 0, reaped: 0 };
  }
}

/** User + system CPU time of a live process (all its threads), or of one `pid/task/tid`, in ms (0 once it is gone). */
export function processCpuMs(pid: number | string): number {
  return statTicks(pid).own * 10;
}

/**
 * CPU time of a process and its live descendants, in ms, with what the children they reaped used:
 * the difference of two readings counts children that started or ended in between.
 */
export function treeCpuMs(pid: number): number {
  return [pid, ...descendants(pid)].reduce((sum, member) => {
    const { own, reaped } = statTicks(member);
    return sum + (own + reaped) * 10;
  }, 0);
}

/** Every live descendant of a process. */
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
