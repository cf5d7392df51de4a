import { spawn } from 'node:child_process';
import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Launcher } from './launched-program.js';
import { currentMemoryCgroup, type MemoryCgroup } from './memory-limit.js';

/** A user (and group) a program runs as instead of the observer's own. */
export interface ProcessUser {
  uid: number;
  gid: number;
  /** Its name in the user database, for USER and LOGNAME; dynamic users have none. */
  name?: string;
}

/**
 * Starts programs as `user` with Node's spawn (libuv drops the supplementary groups, then sets the
 * gid and the uid, before exec). glibc's posix_spawn cannot change users, so a switching observer
 * gives up its faster launcher (src/observer/launch.ts). bench/cold-path.ts, 800 no-op executions
 * on 2 shared cores, PONTOON_RUN_AS=server then dynamic: the observer hosts' CPU per execution
 * went from 1.46 to 2.35 ms, the ratio to a bare spawn loop from 0.68 to 0.61.
 */
export function userLauncher(user: ProcessUser): Launcher {
  return (argv, { cwd, env }) =>
    spawn(argv[0], argv.slice(1), { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'], uid: user.uid, gid: user.gid });
}

/**
 * Hands an attempt's fresh work dir (already 0700) and its input file (0600) to `user`: only it
 * (and root) can read them, not another attempt's user.
 */
export function giveWorkDir(dir: string, files: string[], user: ProcessUser): void {
  for (const file of files) chownSync(file, user.uid, user.gid);
  chownSync(dir, user.uid, user.gid);
}

/**
 * The environment variables that describe who a program is when it runs as `user`: its home and
 * temp dir are its own work dir (the server's HOME is not its to read), and no USER of the server.
 */
export function userEnv(user: ProcessUser, home: string): Record<string, string | undefined> {
  return { HOME: home, TMPDIR: home, USER: user.name, LOGNAME: user.name };
}

/**
 * Runs `start` (a synchronous spawn) with this process inside `cgroup`, so that the program is born
 * in it, then moves back. A program that joins its cgroup itself (the wrapper shell of
 * run-program.ts) needs write access to cgroup files that another user does not have, and a
 * program moved in after its start could fork out first. Moving in and out measured 0.1–0.4 ms.
 * The limit is written by the caller after the move back, so that the kernel never picks this
 * process, larger than the program, to kill for the program's limit.
 */
export function startInCgroup<T>(cgroup: MemoryCgroup, start: () => T): T {
  const home = currentMemoryCgroup(cgroup.version);
  writeFileSync(cgroup.procsFile, String(process.pid));
  try {
    return start();
  } finally {
    try {
      writeFileSync(join(home, 'cgroup.procs'), String(process.pid));
    } catch (thrown) {
      // Not thrown: the program runs and must be watched. Left inside, we end with its cgroup.
      process.emitWarning(`cannot leave the cgroup ${cgroup.path}: ${(thrown as Error).message}`);
    }
  }
}
