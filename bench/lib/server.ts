import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { descendants, processCpu } from './proc-cpu.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** A `pontoon up` child process on a fresh data dir, for benchmarks. */
export interface BenchServer {
  url: string;
  pid: number;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Resident memory of the server process, in MiB. */
  rssMiB(): number;
  /**
   * CPU time used so far, in ms: by the server (all its threads), by its main thread alone (the
   * event loop), and by its live child processes (replicas, observers) together.
   */
  cpuMs(): { server: number; serverMain: number; children: number };
  stop(): Promise<void>;
}

/**
 * Starts `pontoon up` with extra flags and resolves once it prints its URL; on a given data dir,
 * kept at stop. `cli` runs another build's CLI (a base build, to compare against).
 */
export async function startBenchServer(flags: string[] = [], options: { dataDir?: string; cli?: string } = {}): Promise<BenchServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'pontoon-bench-'));
  // Benchmarks deploy their functions by path (bench/functions and scratch dirs): both are source roots.
  const roots = ['--source-root', fileURLToPath(new URL('../../../', import.meta.url)), '--source-root', tmpdir()];
  // PONTOON_BENCH_PROFILE=dir: the server writes a V8 CPU profile there when it stops (it then
  // stops with SIGTERM, as a profile is only written by a process that exits on its own).
  const profileDir = process.env.PONTOON_BENCH_PROFILE;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  // PONTOON_REPLICA_LANES (the node SDK's post cycles per replica) reaches the bench's replicas when set here.
  if (process.env.PONTOON_REPLICA_LANES !== undefined) flags = [...flags, '--pass-env', 'PONTOON_REPLICA_LANES'];
  const child: ChildProcess = spawn(process.execPath, [...profile, options.cli ?? cli, 'up', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', ...roots, ...flags], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:\d+/.exec(output);
      if (match) resolve(match[0]);
    });
    child.once('exit', (code) => reject(new Error(`pontoon up exited with ${code}`)));
  });
  const call: BenchServer['call'] = (method, path, body) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(url + path, { method, agent, headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  return {
    url,
    pid: child.pid!,
    call,
    rssMiB() {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return match ? Number(match[1]) / 1024 : NaN;
    },
    cpuMs() {
      const selfMs = (pid: number | string) => processCpu(pid)?.self ?? 0;
      return { server: selfMs(child.pid!), serverMain: selfMs(`${child.pid}/task/${child.pid}`), children: descendants(child.pid!).reduce((sum, pid) => sum + selfMs(pid), 0) };
    },
    async stop() {
      // Its replicas and their programs run in process groups of their own: after a SIGKILL of the
      // server alone they would retry its runtime API for up to 30 s, on the CPU of whatever the
      // bench measures next (bench:peers runs the systems one after another).
      const left = descendants(child.pid!);
      child.kill(profileDir ? 'SIGTERM' : 'SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      for (const pid of left) killQuietly(pid);
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** SIGKILL to a process that may have exited already. */
function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (thrown) {
    if ((thrown as NodeJS.ErrnoException).code !== 'ESRCH') throw thrown;
  }
}

/** Deploys a `runtime: command` function. */
export async function deployCommand(server: BenchServer, name: string, command: string[], spec: Record<string, unknown> = {}): Promise<void> {
  const answer = await server.call('PUT', `/v1/namespaces/default/functions/${name}`, {
    apiVersion: 'pontoon.dev/v1',
    kind: 'Function',
    metadata: { name },
    spec: { runtime: 'command', command, ...spec },
  });
  if (answer.status >= 300) throw new Error(`deploy ${name}: ${JSON.stringify(answer.body)}`);
}

/** Enqueues `count` executions of a function in batches of 2,000 (smaller answers, less garbage in the server). */
export async function enqueue(server: BenchServer, name: string, count: number): Promise<void> {
  for (let done = 0; done < count; ) {
    const size = Math.min(2_000, count - done);
    const answer = await server.call('POST', `/v1/namespaces/default/functions/${name}/batch`, { inputs: new Array(size).fill(null) });
    if (answer.status !== 202) throw new Error(`batch: ${JSON.stringify(answer.body)}`);
    done += size;
  }
}

/** Executions of a function not yet ended (queued + running), from its status. */
export async function pending(server: BenchServer, name: string): Promise<{ queued: number; running: number }> {
  const answer = await server.call('GET', `/v1/namespaces/default/functions/${name}`);
  return { queued: answer.body.status.queued, running: answer.body.status.running };
}

/** Percentile of sorted numbers. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Sleeps. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
