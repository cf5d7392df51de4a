/**
 * `npm run bench:peers`: Pontoon side by side with BullMQ and Graphile Worker on this machine, in
 * one run (issue 12). Starts its own redis-server and PostgreSQL, runs every workload on every
 * system in rounds that rotate the systems' order, and writes a Markdown and a JSON report.
 * `--help` lists the options; `--quick` checks the whole harness in a few minutes.
 */
import { startPostgres, type PostgresCluster } from './infra/postgres.js';
import { startRedis, type RedisServer } from './infra/redis.js';
import { describeMachine } from './machine.js';
import { parseSettings, usage, type Settings } from './options.js';
import { writeReport, type RunReport } from './report.js';
import type { SystemRecord } from './summary.js';
import { bullmqSystem } from './systems/bullmq.js';
import { graphileSystem } from './systems/graphile.js';
import { pontoonSystem } from './systems/pontoon.js';
import { NotAvailable, type System } from './systems/system.js';
import { burnDown } from './workloads/burn-down.js';
import type { Figures } from './workloads/common.js';
import { depth } from './workloads/depth.js';
import { idleLatency } from './workloads/idle-latency.js';
import { openLoop } from './workloads/open-loop.js';

function workloadRunner(name: string, settings: Settings): (system: System) => Promise<Figures> {
  const concurrency = settings.concurrency;
  switch (name) {
    case 'burn-down':
      return (system) => burnDown(system, { ...settings.burnDown, concurrency, timeoutMs: settings.burnDown.timeoutSeconds * 1000 });
    case 'open-loop':
      return (system) => openLoop(system, { ...settings.openLoop, concurrency, drainTimeoutMs: settings.openLoop.drainTimeoutSeconds * 1000 });
    case 'idle':
      return (system) => idleLatency(system, { ...settings.idle, concurrency });
    default:
      return (system) => depth(system, { ...settings.depth, concurrency });
  }
}

async function main(): Promise<void> {
  let settings: Settings | 'help';
  try {
    settings = parseSettings(process.argv.slice(2));
  } catch (thrown) {
    process.stderr.write(`bench:peers: ${(thrown as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (settings === 'help') {
    process.stdout.write(usage);
    return;
  }
  const startedAt = new Date().toISOString();
  let redis: RedisServer | undefined;
  let postgres: PostgresCluster | undefined;
  const stopServers = async () => {
    await redis?.stop().catch(() => undefined);
    await postgres?.stop().catch(() => undefined);
    redis = postgres = undefined;
  };
  process.once('SIGINT', () => void stopServers().then(() => process.exit(130)));
  // An error nobody awaited (a client's 'error' event) ends the run, but not before the servers
  // it started are stopped: they would outlive it otherwise.
  process.once('uncaughtException', (error) => {
    process.stderr.write(`bench:peers: ${error.stack ?? error}\n`);
    void stopServers().then(() => process.exit(1));
  });

  const all: System[] = [
    pontoonSystem('sqlite', 'cold', () => postgres!),
    pontoonSystem('sqlite', 'warm', () => postgres!),
    pontoonSystem('postgres', 'cold', () => postgres!),
    pontoonSystem('postgres', 'warm', () => postgres!),
    pontoonSystem('sqlite', 'warm-prefetch', () => postgres!),
    pontoonSystem('postgres', 'warm-prefetch', () => postgres!),
    bullmqSystem(() => redis!),
    graphileSystem(false, () => postgres!),
    graphileSystem(true, () => postgres!),
  ];
  const chosen = settings.systems;
  const unknown = chosen?.filter((key) => !all.some((system) => system.key === key)) ?? [];
  if (unknown.length) {
    process.stderr.write(`bench:peers: --systems: unknown ${unknown.join(', ')} (known: ${all.map((system) => system.key).join(', ')})\n`);
    process.exit(2);
  }
  const systems = chosen ? all.filter((system) => chosen.includes(system.key)) : all;
  const records = new Map<string, SystemRecord>(
    systems.map((system) => [system.key, { key: system.key, description: system.description, startMeasuredBy: system.startMeasuredBy, pontoon: system.pontoon, errors: [], rounds: [] }]),
  );
  const machine = describeMachine();
  const log = (line: string) => process.stderr.write(`[bench:peers ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

  try {
    if (systems.some((system) => system.key === 'bullmq')) {
      redis = await startRedis();
      log(`redis-server ${redis.version} on ${redis.url}`);
    }
    if (systems.some((system) => system.key.includes('postgres') || system.key.startsWith('graphile'))) {
      postgres = await startPostgres(settings.pgSettings);
      log(`PostgreSQL ${postgres.version}`);
    }
    const report = (): RunReport => ({
      startedAt,
      finishedAt: new Date().toISOString(),
      command: `npm run bench:peers -- ${process.argv.slice(2).join(' ')}`.trim(),
      machine,
      versions: { ...machine.packages, ...(redis ? { redis: redis.version } : {}), ...(postgres ? { postgresql: postgres.version } : {}) },
      serverSettings: { ...(redis ? { 'redis-server': redis.settings } : {}), ...(postgres ? { postgresql: postgres.settings } : {}), 'pontoon sqlite': { synchronous: 'NORMAL', journal_mode: 'WAL' } },
      settings: settings as Settings,
      systems: [...records.values()],
    });
    for (let round = 0; round < settings.rounds; round++) {
      for (const workload of settings.workloads) {
        const run = workloadRunner(workload, settings);
        // Rotated each round, so no system always runs first (or last) on a machine whose load drifts.
        const order = systems.map((_, index) => systems[(index + round) % systems.length]);
        for (const system of order) {
          const record = records.get(system.key)!;
          if (record.notAvailable) continue;
          log(`round ${round + 1}/${settings.rounds} ${workload} ${system.key}`);
          try {
            const figures = await run(system);
            record.rounds[round] = { ...record.rounds[round], ...figures };
            log(`  ${Object.entries(figures).map(([name, value]) => `${name}=${Number.isFinite(value) ? Math.round(value * 100) / 100 : value}`).join(' ')}`);
          } catch (thrown) {
            if (thrown instanceof NotAvailable) {
              record.notAvailable = thrown.message;
              log(`  not available: ${thrown.message}`);
            } else {
              record.errors.push(`round ${round + 1} ${workload}: ${(thrown as Error).message}`);
              log(`  failed: ${(thrown as Error).stack}`);
            }
          }
        }
      }
      // After every round: an interrupted run still leaves what it measured.
      const written = writeReport(report(), settings.out);
      log(`report: ${written.markdown} (and .json)`);
    }
    for (const record of records.values()) record.rounds = record.rounds.filter(Boolean);
    const written = writeReport(report(), settings.out);
    process.stdout.write(`${written.markdown}\n${written.json}\n`);
  } finally {
    await stopServers();
  }
}

await main();
