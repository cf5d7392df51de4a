import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { resolveRunAs } from '../executors/users/resolve-run-as.js';
import type { FunctionUsers } from '../executors/users/function-users.js';
import type { ResolvedOptions } from './options.js';

/** Builds shared by the servers of a machine whose functions run as other users. */
export const sharedBuildDir = '/var/cache/pontoon/builds';

/** Who local functions run as, and where their builds go so that those users can run them. */
export interface FunctionUsersSetup {
  users: FunctionUsers | undefined;
  buildDir: string;
}

/**
 * Decides who local functions run as (and says so in the log) and picks a build dir the function
 * users can read and execute but not write.
 */
export function setUpFunctionUsers(config: ResolvedOptions, logger: Logger): FunctionUsersSetup {
  const decision = resolveRunAs(config.runAs, config.runAsRange);
  const buildDir = config.buildDir ?? (decision.users ? sharedBuildDir : join(config.dataDir, 'builds'));
  if (decision.users) {
    mkdirSync(buildDir, { recursive: true, mode: 0o755 });
    const blocked = blockingAncestor(buildDir);
    if (blocked) logger.warn(`function users cannot reach the build dir ${buildDir}: ${blocked}; built functions will not start (choose another --build-dir)`);
  }
  logger.info({ runAs: decision.users ? 'other users' : 'server user' }, decision.message);
  return { users: decision.users, buildDir };
}

/** Why users other than this one cannot enter `dir` (a directory on its path without o+x, or one they can write), if so. */
function blockingAncestor(dir: string): string | undefined {
  for (let path = dir; ; path = dirname(path)) {
    const stats = statSync(path);
    if ((stats.mode & 0o001) === 0) return `${path} has mode ${(stats.mode & 0o777).toString(8)}, without o+x`;
    if (path === dir && (stats.mode & 0o022) !== 0) return `${path} is writable by group or others`;
    if (dirname(path) === path) return undefined;
  }
}
