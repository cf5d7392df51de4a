import { spawn } from 'node:child_process';
import type { Launcher } from './launched-program.js';
import { posixSpawnSupported, spawnWithPosixSpawn } from './posix-spawn.js';

/** Node's own spawn: fork() then exec(), available everywhere. */
export const nodeLauncher: Launcher = (argv, { cwd, env }) => spawn(argv[0], argv.slice(1), { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * The launcher programs get: libc's posix_spawn() where it can be bound (Linux with glibc), else
 * Node's. glibc runs posix_spawn on a vfork-style clone: no copy of the parent's page tables,
 * which is most of what a fork() from a Node process costs (about 1 ms of CPU per start on the
 * cold-path benchmark's machine, against 0.3 ms; the programs themselves also start faster,
 * having no copied-on-write pages to fault in before exec).
 */
export function defaultLauncher(): Launcher {
  return posixSpawnSupported() ? spawnWithPosixSpawn : nodeLauncher;
}
