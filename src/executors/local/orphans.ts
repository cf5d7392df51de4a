import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readAttemptFile } from '../../observer/attempt-file.js';
import { workDirFiles } from '../../observer/contract.js';
import { attemptName, killAttemptProcesses } from '../../observer/attempt-processes.js';
import { removeCgroupSoon } from '../../observer/memory-limit.js';

/** Name of an attempt's work dir under the work root: `<executionId>-<attempt>`. */
export function workDirName(executionId: string, attempt: number): string {
  return `${executionId}-${attempt}`;
}

/** A work dir's name: `<executionId>-<attempt>`. */
const workDirPattern = /^(.+)-(\d+)$/;

/** The file in a work dir holding the program's pid (which is also its process group id). */
export const pidFile = workDirFiles.pid;

/** What an orphan sweep found and did. */
export interface OrphanSweep {
  /** Work dirs removed. */
  removed: string[];
  /** Process groups, and processes outside them, killed because they still ran a leftover attempt. */
  killed: number[];
}

/**
 * Cleans up after an executor that died without stopping its attempts (`kill -9` of the server
 * together with its observer host): every directory left under the work root is an attempt nobody
 * watches any more.
 */
export function sweepOrphans(workRoot: string): OrphanSweep {
  const sweep: OrphanSweep = { removed: [], killed: [] };
  let names: string[];
  try {
    names = readdirSync(workRoot);
  } catch {
    return sweep;
  }
  const attempts = new Set<string>();
  for (const name of names) {
    const killed = sweepWorkDir(join(workRoot, name), false);
    if (killed !== undefined) sweep.killed.push(killed);
    sweep.removed.push(join(workRoot, name));
    const match = workDirPattern.exec(name);
    if (match) attempts.add(attemptName(match[1], match[2]));
  }
  // One look through /proc for them all (it is the costly part).
  sweep.killed.push(...killAttemptProcesses(attempts));
  return sweep;
}

/**
 * Ends one attempt nobody watches any more: its process group is killed, but only when the pid
 * still runs that attempt (pids are reused, and the program's environment, `PONTOON_EXECUTION_ID`
 * and `PONTOON_ATTEMPT`, tells ours apart); its cgroups are ended and removed, and its work dir.
 * With `lookEverywhere`, so are processes anywhere whose environment names the attempt (setsid'd
 * ones no cgroup held). Returns the process group killed, if any.
 */
export function sweepWorkDir(dir: string, lookEverywhere = true): number | undefined {
  let killed: number | undefined;
  const match = workDirPattern.exec(basename(dir));
  if (match) {
    // The pid, then the attempt's own cgroup if it has one (the memory cgroup is in its own file).
    const [pidLine, ...cgroups] = readOptional(join(dir, pidFile))?.split('\n') ?? [];
    const pid = Number(pidLine?.trim());
    if (Number.isInteger(pid) && pid > 0 && runsAttempt(pid, match[1], match[2])) {
      try {
        process.kill(-pid, 'SIGKILL');
        killed = pid;
      } catch {
        // Gone in the meantime.
      }
    }
    // The attempt's cgroups (its own, and its memory cgroup when that is another): what they hold
    // is killed, setsid'd processes included.
    cgroups.push(...(readOptional(join(dir, workDirFiles.cgroup))?.split('\n') ?? []));
    for (const cgroup of cgroups) if (cgroup.trim()) removeCgroupSoon(cgroup.trim());
    if (lookEverywhere) killAttemptProcesses(new Set([attemptName(match[1], match[2])]));
  }
  rmSync(dir, { recursive: true, force: true });
  return killed;
}

/** True when process `pid` was started for this attempt (read from its initial environment). */
export function runsAttempt(pid: number, executionId: string, attempt: string): boolean {
  const environ = readProc(`/proc/${pid}/environ`);
  if (environ === undefined) return false;
  const variables = environ.split('\0');
  return variables.includes(`PONTOON_EXECUTION_ID=${executionId}`) && variables.includes(`PONTOON_ATTEMPT=${attempt}`);
}

/**
 * A small record of the work dir (pid, cgroups), read only if it is a regular file written by this
 * user: the program may have made it a FIFO, or, running as another user that owns its work dir,
 * replaced it with one naming a process or a cgroup (the server's) to kill.
 */
function readOptional(path: string): string | undefined {
  const file = readAttemptFile(path, 4096, false, process.geteuid?.());
  return file.kind === 'read' ? file.text : undefined;
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
