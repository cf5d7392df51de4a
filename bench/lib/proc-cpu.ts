import { readFileSync, readdirSync } from 'node:fs';

/** Linux reports process times in clock ticks of 1/100 s (USER_HZ, fixed at 100 on x86 and arm). */
const tickMs = 10;

/** CPU time in ms a process used itself, and what its reaped children used; undefined without /proc. */
export function processCpu(pid: number | 'self'): { self: number; children: number } | undefined {
  try {
    // Fields after the command (which may hold spaces) start at `state`: utime is the 12th of them.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { self: (Number(fields[11]) + Number(fields[12])) * tickMs, children: (Number(fields[13]) + Number(fields[14])) * tickMs };
  } catch {
    return undefined;
  }
}

/** The pids of a process's children (the observer hosts of a server). */
export function childPids(pid: number): number[] {
  try {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((entry) => {
        try {
          return readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1] === String(pid);
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}
