import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The compiled CLI entry, found next to this compiled helper (dist-x/test/cli → dist-x/src/cli). */
export const cliMain = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** What one CLI run produced. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options of one CLI run. */
export interface CliRunOptions {
  /** Extra environment; PONTOON_URL is unset unless given here. */
  env?: Record<string, string>;
  /** Text fed to stdin. */
  input?: string;
  cwd?: string;
  /** Kill the run after this long (a failing test, not a hang). Default 60 s. */
  timeoutMs?: number;
}

/** Runs `node main.js ...args` as a child process and collects its exit code and output. */
export function runCli(args: string[], options: CliRunOptions = {}): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, PONTOON_URL: '', ...options.env };
  if (!env.PONTOON_URL) delete env.PONTOON_URL;
  const child = spawn(process.execPath, [cliMain, ...args], { env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
