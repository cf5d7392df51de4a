import type { FunctionVersion } from '../domain/function-spec.js';

/** How to start one attempt of a function: program, working directory and extra environment. */
export interface LaunchPlan {
  command: string[];
  cwd?: string;
  env: Record<string, string>;
}

/**
 * Turns a function version into something runnable. Compiled runtimes build on deploy, once per
 * content hash of the source, and every attempt reuses the build.
 */
export interface Runtimes {
  /** Builds what the function needs; throws PontoonError BUILD_FAILED with the compiler's message. */
  prepare(fn: FunctionVersion): Promise<void>;
  /** The launch plan of a prepared function (prepares it first if it is not). */
  plan(fn: FunctionVersion): Promise<LaunchPlan>;
}
