import type { FunctionVersion } from '../domain/function-spec.js';

/** How to start one attempt of a function: program, working directory and extra environment. */
export interface LaunchPlan {
  command: string[];
  cwd?: string;
  env: Record<string, string>;
  /**
   * Whether the command speaks the replica protocol when started as a warm replica
   * (docs/warm-replicas.md): true for an SDK's handler runner, false for a program form (a main
   * that reads PONTOON_INPUT once and exits), which must run on demand even with spec.warm. Absent
   * when the runtime cannot tell (a command: its spec.warm says it does).
   */
  replica?: boolean;
}

/** What the runtimes know of where their builds run. */
export interface RuntimeContext {
  /**
   * Functions run as other users than the server's (docs/security.md): every program a launch
   * plan names must be one they can execute (not an interpreter under a 0700 home).
   */
  forOtherUsers: boolean;
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
