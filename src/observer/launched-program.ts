import type { Readable } from 'node:stream';

/**
 * A started program, as the observer watches it: the part of Node's ChildProcess it uses, so
 * that both launchers (src/observer/launch.ts) can serve it.
 */
export interface LaunchedProgram {
  /** Undefined when the program could not be started ('error' follows). */
  readonly pid?: number | undefined;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  /** After 'exit', once stdout and stderr have closed too. */
  on(event: 'close', listener: () => void): this;
}

/** Where and with what a program starts. */
export interface LaunchOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Starts `argv` as the leader of a new session and process group (so that the whole group can be
 * signalled), stdin on /dev/null, stdout and stderr on pipes, every signal at its default.
 */
export type Launcher = (argv: string[], options: LaunchOptions) => LaunchedProgram;
