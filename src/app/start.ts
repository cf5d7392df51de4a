import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { buildApi } from '../api/server.js';
import { asError } from '../domain/errors.js';
import { Engine } from '../engine/engine.js';
import { ExecutionEvents } from '../engine/execution-events.js';
import { LocalExecutor } from '../executors/local/local-executor.js';
import { defaultWorkRoot } from '../executors/local/work-root.js';
import { memoryLimitSupport } from '../observer/memory-limit.js';
import { createRuntimes } from '../runtimes/registry.js';
import { openSqliteStore } from '../store/sqlite/sqlite-store.js';
import { readExampleDocuments } from './examples.js';
import { resolveOptions, type PontoonOptions } from './options.js';

export type { PontoonOptions } from './options.js';

/** A running Pontoon: its URL and how to stop it. */
export interface RunningPontoon {
  url: string;
  close(): Promise<void>;
}

// dist/src/app/start.js → the installation root, where examples/ lives.
const installDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Starts embedded Pontoon: the SQLite store in the data directory, the local process executor,
 * the engine and the HTTP API, then deploys the examples if asked.
 */
export async function startPontoon(options: PontoonOptions = {}): Promise<RunningPontoon> {
  const config = resolveOptions(options, installDir);
  const logger = pino({ level: config.logLevel });
  mkdirSync(config.dataDir, { recursive: true });

  const store = openSqliteStore({ file: join(config.dataDir, 'pontoon.db') });
  const events = new ExecutionEvents();
  const runtimes = createRuntimes({ cacheDir: join(config.dataDir, 'builds') });
  let engine: Engine | undefined;
  const executor = new LocalExecutor({
    sink: {
      logs: (ref, lines) => engine?.logs(ref, lines),
      finished: (ref, report) => engine?.finished(ref, report),
    },
    runtimes,
    // Named after the data dir, so a restart on the same data finds what a crash left behind.
    workRoot: defaultWorkRoot(createHash('sha256').update(config.dataDir).digest('hex').slice(0, 12)),
    graceMs: config.graceMs,
    logLimitBytes: config.logLimitBytes,
    resultLimitBytes: config.resultLimitBytes,
  });
  engine = new Engine({
    store,
    executor,
    runtimes,
    events,
    logger,
    owner: `${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`,
    capacity: config.capacity,
    leaseMs: config.leaseMs,
    pollMs: 200,
  });
  const running = engine;
  const api = await buildApi({ store, engine, events, payloadLimit: config.payloadLimitBytes, isReady: () => true }, logger);
  await api.listen({ port: config.port, host: config.host });
  const address = api.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  engine.start();
  logger.info({ url, dataDir: config.dataDir, capacity: config.capacity }, 'pontoon is up');
  const memory = memoryLimitSupport();
  if (!memory.enforced) logger.warn(`memory limits (spec.resources.memory) will not be enforced here: ${memory.reason}`);

  if (config.examplesDir) {
    for (const { file, document } of await readExampleDocuments(config.examplesDir)) {
      try {
        const { fn } = await running.deploy(document);
        logger.info({ function: `${fn.namespace}/${fn.name}`, version: fn.version }, 'example deployed');
      } catch (thrown) {
        logger.error({ file, err: asError(thrown) }, 'example not deployed');
      }
    }
  }

  return {
    url,
    async close() {
      await api.close();
      await running.stop();
      await store.close();
    },
  };
}
