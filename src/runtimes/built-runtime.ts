import { existsSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PontoonError, asError } from '../domain/errors.js';
import type { FunctionVersion, Runtime } from '../domain/function-spec.js';
import { BuildCache, copyTree, hashParts, hashTree, skippedDirs } from './build-cache.js';
import { buildFailed } from './build-tools.js';
import type { LaunchPlan, RuntimeContext, Runtimes } from './runtime.js';

/**
 * How to start a built function. Strings may hold `{build}`, replaced by the build's final directory
 * at plan time, since a build runs in a temporary directory that is renamed afterwards.
 */
export interface Launch {
  command: string[];
  /** Working directory; defaults to `{build}/app`, the copy of the source. */
  cwd?: string;
  env?: Record<string, string>;
  /** The command speaks the replica protocol (see LaunchPlan.replica). */
  replica?: boolean;
}

/** What a runtime's build step is given. */
export interface BuildContext {
  fn: FunctionVersion;
  /** The user's source directory (absolute). */
  source: string;
  /** The temporary build directory (renamed to its final place once the build succeeds). */
  dir: string;
  /** `dir/app`: a copy of the source, taken before the build so the build sees one snapshot. */
  app: string;
}

/** One language: what its builds depend on, and how to build and launch a function. */
export interface BuildRecipe {
  runtime: Exclude<Runtime, 'command'>;
  /**
   * Everything besides the source and handler that a build depends on (SDK content, bootstrap
   * version); a change makes a new build.
   */
  fingerprint(fn: FunctionVersion): Promise<string>;
  /** Builds into `ctx.dir`; throws a ToolFailure (or any Error) with the compiler's message. */
  build(ctx: BuildContext): Promise<Launch>;
}

const launchFile = 'launch.json';

/**
 * A Runtimes for one compiled (or prepared) language: deploy hashes the source and builds once per
 * hash into `<cacheDir>/<runtime>-<hash>/`; attempts reuse the build.
 */
export function builtRuntime(cache: BuildCache, recipe: BuildRecipe, context: RuntimeContext): Runtimes {
  // The plan of the last prepared build, per runtime + source + handler. Attempts read it from
  // memory: hashing the source again per attempt would add milliseconds to every cold start. A
  // source edited without a redeploy keeps running what was deployed, until a restart re-hashes it.
  const plans = new Map<string, LaunchPlan>();
  const keyOf = (fn: FunctionVersion) => `${fn.document.spec.source}\0${fn.document.spec.handler ?? ''}\0${fn.document.spec.env ? JSON.stringify(fn.document.spec.env) : ''}`;

  const prepare = async (fn: FunctionVersion): Promise<LaunchPlan> => {
    const spec = fn.document.spec;
    const source = spec.source;
    const name = `${fn.namespace}/${fn.name}`;
    if (!source) throw new PontoonError('BUILD_FAILED', `function ${name} has runtime ${recipe.runtime} but no spec.source directory to build`);
    if (!existsSync(source) || !statSync(source).isDirectory()) {
      throw new PontoonError('BUILD_FAILED', `spec.source ${source} of function ${name} is not a directory on the server`);
    }
    let key: string;
    try {
      const content = await hashTree(source);
      // A build for other users holds only what they may read of the source: another build, another key.
      const copy = context.forOtherUsers ? 'open-entries' : 'all-entries';
      key = `${recipe.runtime}-${hashParts([recipe.runtime, spec.handler ?? '', await recipe.fingerprint(fn), copy, content]).slice(0, 20)}`;
    } catch (thrown) {
      throw new PontoonError('BUILD_FAILED', `cannot read spec.source ${source} of function ${name}: ${asError(thrown).message}`);
    }
    let finalDir = join(cache.cacheDir, key);
    try {
      finalDir = await cache.ensure(key, async (dir) => {
        const app = join(dir, 'app');
        await copyTree(source, app, { skip: skippedDirs, openOnly: context.forOtherUsers });
        let launch: Launch;
        try {
          launch = await recipe.build({ fn, source, dir, app });
        } catch (thrown) {
          throw buildFailed(name, source, asError(thrown), [
            { from: `${app}/`, to: `${source}/` },
            { from: app, to: source },
            { from: dir, to: finalDir },
          ]);
        }
        await writeFile(join(dir, launchFile), JSON.stringify(launch));
      });
    } catch (thrown) {
      if (thrown instanceof PontoonError) throw thrown;
      throw new PontoonError('BUILD_FAILED', `build of ${name} failed: ${asError(thrown).message}`);
    }
    const launch = JSON.parse(await readFile(join(finalDir, launchFile), 'utf8')) as Launch;
    const fill = (text: string) => text.split('{build}').join(finalDir);
    const plan: LaunchPlan = {
      command: launch.command.map(fill),
      cwd: fill(launch.cwd ?? '{build}/app'),
      env: Object.fromEntries(Object.entries(launch.env ?? {}).map(([k, v]) => [k, fill(v)])),
      ...(launch.replica === undefined ? {} : { replica: launch.replica }),
    };
    plans.set(keyOf(fn), plan);
    return plan;
  };

  return {
    prepare: async (fn) => {
      await prepare(fn);
    },
    plan: async (fn) => {
      const known = plans.get(keyOf(fn));
      // A copy, so that no caller can change the cached plan.
      return known ? { ...known, command: [...known.command], env: { ...known.env } } : prepare(fn);
    },
  };
}
