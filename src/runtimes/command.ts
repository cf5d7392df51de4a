import { statSync } from 'node:fs';
import { join } from 'node:path';
import { PontoonError, asError } from '../domain/errors.js';
import type { FunctionVersion } from '../domain/function-spec.js';
import { BuildCache, copyTree, hashParts, hashTree } from './build-cache.js';
import type { LaunchPlan, RuntimeContext, Runtimes } from './runtime.js';

/** The launch plan of a `runtime: command` function: its command as written, run in its source dir. */
export function commandPlan(fn: FunctionVersion): LaunchPlan {
  const spec = fn.document.spec;
  if (!spec.command || spec.command.length === 0) {
    // Validation allows image-only command functions: they can run on Kubernetes only.
    throw new PontoonError('BUILD_FAILED', `function ${fn.namespace}/${fn.name} has no spec.command; an image-only function runs on the kubernetes executor only`);
  }
  return { command: [...spec.command], cwd: spec.source, env: {} };
}

/**
 * Refuses a `spec.source` that is not a directory on the server: the command runs in it, so every
 * attempt would fail to start. Said at deploy, where the mistake is, rather than at each invoke.
 */
function requireSourceDirectory(fn: FunctionVersion): void {
  const source = fn.document.spec.source;
  if (source === undefined || statSync(source, { throwIfNoEntry: false })?.isDirectory()) return;
  const message = `is not a directory on the server: ${source}`;
  throw new PontoonError('INVALID_SPEC', `invalid function spec: spec.source ${message}`, { problems: [{ field: 'spec.source', message }] });
}

/**
 * `runtime: command`: nothing to build, the command is started as is, in its source directory.
 * When functions run as other users, that directory may be closed to them (a checkout under a 0700
 * home or temp dir), so the command runs in a snapshot of it taken at deploy, kept once per content
 * hash in the build cache, which those users can read. Only what others could read of the source
 * goes into it (copyTree's openOnly).
 */
export function commandRuntime(cache: BuildCache, _sdk: unknown, context: RuntimeContext): Runtimes {
  if (!context.forOtherUsers) {
    return { prepare: async (fn) => requireSourceDirectory(fn), plan: async (fn) => commandPlan(fn) };
  }
  const snapshots = new Map<string, string>();
  const snapshot = async (fn: FunctionVersion): Promise<string | undefined> => {
    const source = fn.document.spec.source;
    if (source === undefined) return undefined;
    requireSourceDirectory(fn);
    try {
      const key = `command-${hashParts(['command', 'open-entries', await hashTree(source)]).slice(0, 20)}`;
      const dir = await cache.ensure(key, (tmp) => copyTree(source, join(tmp, 'app'), { openOnly: true }));
      const app = join(dir, 'app');
      snapshots.set(source, app);
      return app;
    } catch (thrown) {
      throw new PontoonError('BUILD_FAILED', `cannot copy spec.source ${source} of function ${fn.namespace}/${fn.name}: ${asError(thrown).message}`);
    }
  };
  return {
    prepare: async (fn) => {
      await snapshot(fn);
    },
    plan: async (fn) => {
      const source = fn.document.spec.source;
      const cwd = source === undefined ? undefined : (snapshots.get(source) ?? (await snapshot(fn)));
      return { ...commandPlan(fn), cwd };
    },
  };
}
