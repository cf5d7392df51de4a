import { PontoonError } from '../domain/errors.js';
import type { FunctionVersion, Runtime } from '../domain/function-spec.js';
import { BuildCache } from './build-cache.js';
import { commandRuntime } from './command.js';
import { goRuntime } from './go.js';
import { javaRuntime } from './java.js';
import { nodeRuntime } from './node.js';
import { pythonRuntime } from './python.js';
import { PackageSources, type PackageReader } from './package-source.js';
import type { RuntimeContext, Runtimes } from './runtime.js';
import { sdkLocations, type SdkLocations } from './sdk-sources.js';

/** What the runtimes are made with. Each runtime file exports a factory of (build cache, SDK locations). */
export interface RuntimeOptions {
  /** Where compiled runtimes keep their builds. */
  cacheDir: string;
  /** Where the SDKs are; defaults to this installation's sdk/. */
  sdk?: SdkLocations;
  /** Functions run as other users than the server's (default false). */
  forOtherUsers?: boolean;
  /** Where uploaded packages are unpacked, and how to read them from the store; without it, spec.package cannot run here. */
  packages?: { dir: string; read: PackageReader };
}

// One entry per runtime, each itself a Runtimes for its own functions: adding a runtime means
// adding its file and its line here.
const handlers: Record<Runtime, (cache: BuildCache, sdk: SdkLocations, context: RuntimeContext) => Runtimes> = {
  command: commandRuntime,
  node: nodeRuntime,
  python: pythonRuntime,
  java: javaRuntime,
  go: goRuntime,
};

/** The Runtimes port over every runtime Pontoon knows, dispatching on `spec.runtime`. */
export function createRuntimes(options: RuntimeOptions): Runtimes {
  // One cache for all runtimes, so that a build shared by several (the Java SDK) is made once.
  const cache = new BuildCache(options.cacheDir);
  const sdk = options.sdk ?? sdkLocations();
  const context: RuntimeContext = { forOtherUsers: options.forOtherUsers ?? false };
  const made = new Map<Runtime, Runtimes>();
  const handlerOf = (fn: FunctionVersion): Runtimes => {
    const runtime = fn.document.spec.runtime;
    let handler = made.get(runtime);
    if (!handler) {
      const make = handlers[runtime];
      if (!make) throw new PontoonError('BUILD_FAILED', `unknown runtime ${runtime}`);
      handler = make(cache, sdk, context);
      made.set(runtime, handler);
    }
    return handler;
  };
  const packages = options.packages && new PackageSources(options.packages.dir, options.packages.read);
  const localize = async (fn: FunctionVersion): Promise<FunctionVersion> => {
    if (!fn.document.spec.package) return fn;
    if (!packages) throw new PontoonError('BUILD_FAILED', `function ${fn.namespace}/${fn.name} has a spec.package, and this server has no package store`);
    return packages.localize(fn);
  };
  return {
    prepare: async (fn) => handlerOf(fn).prepare(await localize(fn)),
    plan: async (fn) => handlerOf(fn).plan(await localize(fn)),
  };
}
