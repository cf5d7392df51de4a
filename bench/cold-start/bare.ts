import { spawn } from 'node:child_process';

/** One bare start of a program: time to its first stdout byte and to its exit, in ms. */
export interface BareRun {
  firstLineMs: number | undefined;
  wholeMs: number;
}

/** Starts a program directly (no Pontoon) and times it from spawn to first output and to exit. */
export function bareRun(command: string[], env: NodeJS.ProcessEnv = process.env): Promise<BareRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstLineMs: number | undefined;
    const child = spawn(command[0], command.slice(1), { env, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.once('data', () => (firstLineMs = performance.now() - started));
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${command.join(' ')} exited with ${code}`));
      else resolve({ firstLineMs, wholeMs: performance.now() - started });
    });
  });
}
