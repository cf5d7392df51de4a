/** Debian's redis-server, started for one benchmark run in a temp dir on a free loopback port. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, repoFile } from './paths.js';

/** A running redis-server owned by the benchmark. */
export interface RedisServer {
  url: string;
  version: string;
  /** The server's process id. */
  pid: number;
  /** The persistence settings it runs with, as CONFIG GET reports them. */
  settings: Record<string, string>;
  /** Empties it between sessions, so one system's leftovers never weigh on the next. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts redis-server with appendonly on and fsync every second, as BullMQ users run it. */
export async function startRedis(): Promise<RedisServer> {
  // Installs Debian's package when missing (and says so on stderr).
  const binary = execFileSync('bash', [repoFile('bench/peers/ensure-redis.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'pontoon-bench-redis-'));
  const port = freePort();
  const child: ChildProcess = spawn(
    binary,
    ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction', '--protected-mode', 'yes', '--daemonize', 'no'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  // Refused connections are expected until the server listens; connect() rejects with them too.
  client.on('error', () => undefined);
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch (thrown) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start: ${stderr || String(thrown)}`);
      client.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const info = await client.info('server');
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  const settings: Record<string, string> = {};
  for (const key of ['appendonly', 'appendfsync', 'save', 'maxmemory-policy']) {
    const [, value] = (await client.config('GET', key)) as string[];
    settings[key] = value;
  }
  return {
    url,
    version,
    pid: child.pid!,
    settings,
    async flush() {
      await client.flushall();
    },
    async stop() {
      client.disconnect();
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
