import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { basename, delimiter, join } from 'node:path';
import { PontoonError } from '../domain/errors.js';

/** Most compiler output kept in a BUILD_FAILED message: enough for the first errors, not a flood. */
const outputLimit = 16 * 1024;

/** A build tool that exited non-zero (or could not start), with what it printed. */
export class ToolFailure extends Error {
  constructor(
    readonly tool: string,
    readonly output: string,
    readonly exitCode: number | null,
  ) {
    super(output.trim() || `${tool} exited with code ${exitCode}`);
    this.name = 'ToolFailure';
  }
}

/** How to run one build tool. */
export interface ToolOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** A build that hangs (a tool waiting on the network) is stopped after this long. */
  timeoutMs?: number;
  /** The tool's name in messages, when the program is only its interpreter (node for tsc). */
  name?: string;
}

/**
 * Runs a build tool without a shell and resolves with its stdout; rejects with a ToolFailure
 * carrying stdout and stderr interleaved as printed, which is the compiler's own message.
 */
export function runTool(command: string, args: string[], options: ToolOptions): Promise<string> {
  const tool = options.name ?? basename(command);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let combined = '';
    let stdout = '';
    const keep = (chunk: Buffer, isStdout: boolean) => {
      const text = chunk.toString('utf8');
      if (isStdout) stdout += text;
      if (combined.length < outputLimit * 2) combined += text;
    };
    child.stdout.on('data', (chunk: Buffer) => keep(chunk, true));
    child.stderr.on('data', (chunk: Buffer) => keep(chunk, false));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 10 * 60_000);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = error.code === 'ENOENT' ? `${command} is not installed (not found on PATH)` : `cannot start ${command}: ${error.message}`;
      reject(new ToolFailure(tool, why, null));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new ToolFailure(tool, signal ? `${combined}\n${tool} was stopped by ${signal}` : combined, code));
    });
  });
}

/** The absolute path of a program on PATH, as execvp would find it; undefined when absent. */
export function which(program: string, path = process.env.PATH): string | undefined {
  return whichAll(program, path)[0];
}

/** Every executable file named `program` on PATH, in PATH's order. */
export function whichAll(program: string, path = process.env.PATH): string[] {
  const found: string[] = [];
  for (const dir of (path ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, program);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) found.push(file);
    } catch {
      // not here
    }
  }
  return found;
}

/**
 * The BUILD_FAILED error of a function whose build failed: the tool's own output, with the build's
 * temporary paths turned back into the user's source paths so the file names point at their files.
 */
export function buildFailed(functionName: string, source: string, failure: Error, paths: { from: string; to: string }[]): PontoonError {
  let output = failure instanceof ToolFailure ? failure.output.trim() || failure.message : failure.message;
  for (const { from, to } of paths) output = output.split(from).join(to);
  if (output.length > outputLimit) output = `${output.slice(0, outputLimit)}\n… (${output.length - outputLimit} more characters)`;
  const how = failure instanceof ToolFailure ? ` (${failure.tool}${failure.exitCode === null ? '' : ` exited with code ${failure.exitCode}`})` : '';
  return new PontoonError('BUILD_FAILED', `build of ${functionName} from ${source} failed${how}:\n${output}`, {
    tool: failure instanceof ToolFailure ? failure.tool : undefined,
    exitCode: failure instanceof ToolFailure ? failure.exitCode : undefined,
  });
}
