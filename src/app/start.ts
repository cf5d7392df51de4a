import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { buildApi } from '../api/server.js';
import { asError } from '../domain/errors.js';
import { Deliverer } from '../engine/deliverer.js';
import { OutboundHttp } from '../engine/outbound-http.js';
import { FunctionSecrets } from '../executors/secrets/function-secrets.js';
import { BuildCollector } from '../engine/build-collector.js';
import { Engine } from '../engine/engine.js';
import { ExecutionEvents } from '../engine/execution-events.js';
import { Scheduler } from '../engine/scheduler.js';
import { LocalExecutor } from '../executors/local/local-executor.js';
import { WarmExecutor } from '../executors/warm/warm-executor.js';
import { workRootFor } from '../executors/local/work-root.js';
import { memoryLimitSupport } from '../observer/memory-limit.js';
import { defaultPackageLimits } from '../runtimes/package-archive.js';
import { createRuntimes } from '../runtimes/registry.js';
import { soleLeader, type Leadership } from '../engine/leader.js';
import { openThreadedSqliteStore } from '../store/sqlite/threaded-store.js';
import { instrumentStore } from '../telemetry/instrumented-store.js';
import { PontoonMetrics } from '../telemetry/metrics.js';
import { traceStore } from '../telemetry/traced-store.js';
import { startTracing } from '../telemetry/tracing.js';
import { defaultDeliveryRetry, type DeliveryRetry } from '../triggers/delivery-policy.js';
import { EventIntake } from '../triggers/event-intake.js';
import type { AttemptRef, LogLine, Store } from '../store/store.js';
import type { AttemptReport } from '../domain/execution.js';
// The PostgreSQL driver and the Kubernetes client are loaded only when asked for: the Kubernetes
// client alone added 66 MiB of RSS, and a larger controller forks its local attempts slower.
import type { KubernetesMode, KubernetesModeOptions } from '../kubernetes/kubernetes-mode.js';
import { setUpAuth, type AuthOptions } from './auth-setup.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { readExampleDocuments } from './examples.js';
import { createLogger } from './logger.js';
import { setUpFunctionUsers } from './function-users-setup.js';
import { resolveOptions, type PontoonOptions, type ResolvedOptions } from './options.js';

export type { PontoonOptions } from './options.js';

/** PontoonOptions and the choice of store. */
export interface StartOptions extends PontoonOptions {
  /** `sqlite` (default: the file in the data dir) or a postgres:// URL shared by several controllers. */
  store?: string;
  /** Where attempts run: `local` child processes (default) or `kubernetes` Jobs. */
  executor?: 'local' | 'kubernetes';
  /** Cluster settings of the kubernetes executor. */
  kubernetes?: KubernetesModeOptions;
  /** Tokens, TokenReview, browser and abuse guards (see docs/security.md). */
  auth?: AuthOptions;
}

/**
 * The store, its leader election, how often the dispatcher polls when nothing wakes it, and the
 * lanes a warm replica runs unless its function's env says (undefined: the SDK's own default).
 */
async function openStore(
  choice: string,
  dataDir: string,
  owner: string,
  logger: Logger,
): Promise<{ store: Store; leadership: Leadership; pollMs: number; replicaLanes: number | undefined }> {
  // On a thread of its own: the store's statements and commits then run beside the HTTP of the
  // API and of the warm replicas instead of between them (see threaded-store.ts).
  if (choice === 'sqlite') return { store: await openThreadedSqliteStore({ file: join(dataDir, 'pontoon.db') }), leadership: soleLeader(), pollMs: 200, replicaLanes: undefined };
  const { isPostgresUrl, openPostgresStore } = await import('../store/postgres/postgres-store.js');
  if (!isPostgresUrl(choice)) throw new Error(`store must be sqlite or a postgres:// URL, not ${choice}`);
  const store = await openPostgresStore({ url: choice });
  const leadership = store.leaderLock(`pontoon leader ${process.pid}`, (error) => logger.warn({ err: error }, 'leader lock connection failed'));
  leadership.onChange((leading) => logger.info({ owner }, leading ? 'this controller leads' : 'this controller no longer leads'));
  // Enqueues and freed slots arrive by NOTIFY; the poll only catches retries whose backoff ended.
  // One lane per replica: a PostgreSQL batch costs mostly per transaction, so two half batches
  // cost nearly twice one whole (bench:peers burn-down of 10,000, warm, alternating: 1,244-1,661/s
  // with two lanes, 1,777-2,068 with one, CPU per execution 800-1,040 against 517-603 µs; see
  // docs/warm-replicas.md, lanes). Not for a replica that claims ahead its concurrency (replicaLanes
  // in domain/warm.ts): its lanes carry whole batches.
  return { store, leadership, pollMs: 1000, replicaLanes: 1 };
}

/** Hooks for embedding and tests; `pontoon up` uses none. */
export interface StartHooks {
  /** The clock of schedules (cron ticks and their listing). Default: the system clock. */
  clock?: () => Date;
  /** Whether this controller fires schedules. Default: always (embedded, one controller). */
  isLeader?: () => boolean;
  /** How often the scheduler looks when no tick is near. Default 1s. */
  schedulerPollMs?: number;
  /** How late a tick may be and still count as on time. Default 30s. */
  scheduleToleranceMs?: number;
  /** Retries of completion events. Default: 12 tries, 1s doubling to 5m. */
  deliveryRetry?: DeliveryRetry;
}

/** A running Pontoon: its URL and how to stop it. */
export interface RunningPontoon {
  url: string;
  close(): Promise<void>;
}

// dist/src/app/start.js → the installation root, where examples/ lives.
const installDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Starts Pontoon: the store (SQLite in the data directory, or a shared PostgreSQL), the local process executor,
 * the engine and the HTTP API, then deploys the examples if asked.
 */
export async function startPontoon(options: StartOptions = {}, hooks: StartHooks = {}): Promise<RunningPontoon> {
  const config = resolveOptions(options, installDir);
  const logger = createLogger(config.logLevel, config.logFormat);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  // The store, its WAL and the work root record are the server's alone (docs/security.md).
  chmodSync(config.dataDir, 0o700);
  // First, before the store, the work root or any process is touched: the data dir is ours alone.
  const lock = lockDataDir(config.dataDir);
  try {
    return await startLocked(options, hooks, config, logger, lock);
  } catch (thrown) {
    lock.release();
    throw thrown;
  }
}

/** The rest of startPontoon, once the data dir is held. */
async function startLocked(options: StartOptions, hooks: StartHooks, config: ResolvedOptions, logger: Logger, lock: DataDirLock): Promise<RunningPontoon> {
  // First: a server that would listen open on a network address refuses before it opens anything.
  const auth = await setUpAuth(options.auth ?? {}, {
    host: config.host,
    dataDir: config.dataDir,
    logger,
    kubeApi: async () => {
      const { KubeApi, loadKubeConfig } = await import('../kubernetes/kube-api.js');
      return new KubeApi(loadKubeConfig(options.kubernetes?.kubeconfig));
    },
  });
  const owner = `${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
  // Off unless configured (docs/tracing.md); the store passes each execution's trace context on either way.
  const tracing = startTracing(options.otlpEndpoint, process.env, logger);
  const opened = await openStore(options.store ?? 'sqlite', config.dataDir, owner, logger);
  const { leadership, pollMs, replicaLanes } = opened;
  let engine: Engine | undefined;
  const metrics = new PontoonMetrics({
    store: opened.store,
    inFlight: () => engine?.inFlightCount() ?? 0,
    pools: () => engine?.poolStatus() ?? [],
    scaleEvents: () => engine?.scaleEvents() ?? 0,
  });
  const store = traceStore(instrumentStore(opened.store, metrics), tracing);
  const events = new ExecutionEvents();
  // Locally, who functions run as; on Kubernetes, pods run as their security context says.
  const { users, buildDir } = options.executor === 'kubernetes' ? { users: undefined, buildDir: join(config.dataDir, 'builds') } : setUpFunctionUsers(config, logger);
  // Uploaded packages live in the store: every controller (and, through one, every pod) reads them
  // there. They unpack beside the builds, where function users can read them.
  const readPackage = async (sha256: string) => (await store.getPackage(sha256))?.archive;
  const runtimes = createRuntimes({ cacheDir: buildDir, forOtherUsers: users !== undefined, packages: { dir: join(buildDir, 'packages'), read: readPackage } });
  const secrets = new FunctionSecrets(config.secretStore);
  const builds = new BuildCollector({ store, runtimes, cacheDir: buildDir, logger });
  const sink = {
    logs: (ref: AttemptRef, lines: LogLine[]) => engine?.logs(ref, lines),
    finished: (ref: AttemptRef, report: AttemptReport) => engine?.finished(ref, report),
  };
  let kubernetes: KubernetesMode | undefined;
  let engineClass = Engine;
  if (options.executor === 'kubernetes') {
    const { graceMs, logLimitBytes, resultLimitBytes } = config;
    const { openKubernetesMode, MirroringEngine } = await import('../kubernetes/kubernetes-mode.js');
    engineClass = MirroringEngine;
    kubernetes = await openKubernetesMode(options.kubernetes ?? {}, { sink, logger, graceMs, logLimitBytes, resultLimitBytes, readPackage, replicaLanes });
  }
  // Locally, warm functions' executions go to replica pools; the rest to child processes.
  const executor =
    kubernetes?.executor ??
    new WarmExecutor({
      cold: new LocalExecutor({
        sink,
        runtimes,
        // Recorded in the data dir, so a restart on the same data finds what a crash left behind.
        workRoot: workRootFor(config.dataDir),
        graceMs: config.graceMs,
        logLimitBytes: config.logLimitBytes,
        resultLimitBytes: config.resultLimitBytes,
        passEnv: config.passEnv,
        users,
        secrets,
      }),
      runtimes,
      users,
      logger,
      graceMs: config.graceMs,
      logLimitBytes: config.logLimitBytes,
      resultLimitBytes: config.resultLimitBytes,
      passEnv: config.passEnv,
      secrets,
      replicaLanes,
    });
  engine = new engineClass({
    store,
    executor,
    runtimes,
    deployed: () => builds.soon(),
    events,
    logger,
    owner,
    capacity: config.capacity,
    leaseMs: config.leaseMs,
    pollMs,
    leadership: kubernetes?.leadership ?? leadership,
    globalSinks: config.eventSinks,
    codeOrigins: { sourceRoots: config.examplesDir ? [...config.sourceRoots, config.examplesDir] : config.sourceRoots },
  });
  const running = engine;
  const clock = hooks.clock ?? (() => new Date());
  const scheduler = new Scheduler({
    store,
    logger,
    clock,
    isLeader: hooks.isLeader ?? (() => running.isLeader()),
    pollMs: hooks.schedulerPollMs ?? 1000,
    toleranceMs: hooks.scheduleToleranceMs ?? 30_000,
    started: () => running.wake(),
    cancelled: async (ids) => {
      for (const id of ids) await running.cancel(id);
    },
  });
  const outboundHttp = new OutboundHttp(config.outboundAllowance);
  const deliverer = new Deliverer({
    store,
    logger,
    clock: () => new Date(),
    globalSinks: config.eventSinks,
    retry: hooks.deliveryRetry ?? defaultDeliveryRetry,
    http: outboundHttp,
    timeoutMs: 10_000,
    pollMs: 250,
  });
  const intake = new EventIntake(store, (requests) => running.invoke(requests));
  const api = await buildApi(
    { store: kubernetes?.apiStore(store) ?? store, engine, events, metrics, payloadLimit: config.payloadLimitBytes, packageLimits: defaultPackageLimits(config.packageLimitBytes), outboundAllowance: config.outboundAllowance, missingSecrets: kubernetes ? undefined : (spec) => secrets.missing(spec.secrets), isReady: () => true, triggers: { intake, clock }, auth },
    logger,
  );
  await api.listen({ port: config.port, host: config.host });
  const address = api.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  // On Kubernetes, the attempts a previous run left running are adopted before the first claim.
  await engine.start();
  await kubernetes?.startReconciler(store, engine);
  scheduler.start();
  deliverer.start();
  builds.start();
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
      await kubernetes?.close();
      await scheduler.stop();
      await builds.close();
      await running.stop();
      // After the engine: the attempts it settles as it stops end executions whose events are
      // then decided; whatever is left stays pending in the store for the next start.
      await deliverer.stop();
      await outboundHttp.close();
      await store.close();
      await tracing?.shutdown();
      lock.release();
    },
  };
}
