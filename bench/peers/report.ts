/** Writes the Markdown and JSON reports of a run. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Machine } from './machine.js';
import type { Settings } from './options.js';
import { ratiosToBestPeer, spreads, type Ratio, type SystemRecord } from './summary.js';

/** Everything a report says. */
export interface RunReport {
  startedAt: string;
  finishedAt: string;
  command: string;
  machine: Machine;
  versions: Record<string, string>;
  serverSettings: Record<string, Record<string, string>>;
  settings: Settings;
  systems: SystemRecord[];
}

const workloadTitles: [prefix: string, title: string][] = [
  ['burnDown.', 'Burn-down (N no-op jobs inserted in bulk, then drained)'],
  ['burnDownCpu.', 'Burn-down: CPU per job, µs, by part'],
  ['openLoop.', 'Open loop (fixed arrival rate per second, submit-to-start)'],
  ['openLoopCpu.', 'Open loop: CPU per job, µs, by part'],
  ['idle.', 'Idle latency (one job at a time, submit-to-start)'],
  ['depth.', 'Dispatch rate at depth (jobs queued)'],
];

const measuredHow = `
- **Same for every system**: the same total concurrency; a fresh instance (empty store: a new
  Pontoon data dir or PostgreSQL database, a new Graphile database, an emptied Redis) per workload
  and round; warm-up jobs run and drained first and are not counted (before a burn-down, as many
  as it measures: \`burnDown.warmUpJobs\`, so that what is measured is the steady state, not V8's
  compilers at work); rounds run the systems in a rotated order.
- **Burn-down**: jobs/s = N / (first bulk insert → the system's own count of unfinished jobs is 0).
  "Finished" is what the system durably recorded: Pontoon's execution statuses in its store,
  BullMQ's wait/active/prioritized/delayed counts in Redis, Graphile's rows (a finished job is
  deleted). The insert rate alone is shown too.
- **Open loop**: jobs are submitted one by one at the rate, not waiting for earlier ones; the
  submit time is the harness's clock just before the submit call (so client-side queueing counts);
  the start time is each system's own record (see the systems table). Start times are read for
  an even sample of at most \`openLoop.sampleLimit\` jobs per rate; a job not started within the drain timeout
  counts as never started (∞): an unsustained rate shows in the tail. Each system first gets
  \`openLoop.warmUpArrivals\` jobs submitted one by one at 1,000/s (or the rate, if higher), then
  \`openLoop.warmUpSeconds\` of arrivals at the same rate, on the same instance, drained and not measured.
- **Idle latency**: each job is submitted after the previous one finished; submit-to-start as above.
- **Depth**: the queue is filled in bulk while the workers run (within an insert time budget), then
  the dispatch rate is (unfinished at window start − unfinished at window end) / window.
- **CPU per job, by part** (burn-down, and each open-loop rate): CPU time from /proc over the
  measured window (from the first insert or submit until drained), divided by the jobs counted.
  \`server\` takes and settles jobs: Pontoon's server (all its threads, SQLite included), a peer's
  worker process; \`functions\`: the processes jobs run in apart from it (Pontoon's replicas, or a
  process per cold execution; 0 for the peers, whose jobs run in their worker); \`store\`: the
  PostgreSQL cluster (every backend, the WAL writer, the checkpointer) or redis-server; \`total\` is
  the three; \`client\` is this harness (submits over HTTP or the peer's client library, and the
  polls of its count). On a machine with C cores, a system whose total is T µs per job cannot
  drain faster than C × 10⁶ / (T + client) jobs/s: compare where each spends it.
- **Ratios**: Pontoon's median over the best peer's median; above 1 means Pontoon is ahead (for
  latencies the inverse, so that above 1 is always better).

## Where Pontoon is behind, and what to measure

- **Cold**: every execution starts a process (here \`true\`), with its lease, its stored start
  and its settlement; the peers call a function in a running process. \`node dist/bench/cold-path.js\`
  shows the CPU per execution (controller, observer hosts, programs) against a bare spawn loop.
- **On PostgreSQL**: \`node dist/bench/pg-round-trips.js [count]\` counts the statements and commits
  per cold execution (pg_stat_statements); with PostgreSQL's durable defaults every commit waits
  for a WAL flush to disk, as Graphile Worker's do, where SQLite's synchronous=NORMAL and Redis's
  everysec do not flush per commit. \`--pg-settings="-c synchronous_commit=off"\` shows what that costs.
  Warm, a batch settled and started is one transaction of three round trips (BEGIN with its
  locks and fence, one statement that ends and starts, COMMIT), and that statement is most of
  PostgreSQL's time. Pontoon keeps every execution as history: a start and an end each rewrite
  the execution's row, and as its status changes (an indexed column) PostgreSQL cannot update it
  in place (HOT), so every index of \`executions\` that holds the row gets a new entry each time.
  Graphile Worker deletes a finished job and keeps few indexes.
- **Warm**: a replica (\`spec.warm\`) takes executions without a process start, in batches.
  The CPU tables show where a job's cost goes; \`node dist/bench/warm-drain.js 20000 sqlite\` splits
  the server's CPU into its main thread (HTTP, engine) and the rest (the SQLite store's thread),
  and \`PONTOON_BENCH_PROFILE=dir node dist/bench/invoke-cpu.js async 1000\` writes CPU profiles of
  the server's threads (\`node dist/bench/profile-summary.js <file>\` summarizes one).
  Without prefetch a replica holds no more than its slots, so its batches are as small as the
  slots a post frees (about 4 of 8 here): the cost of a store step and a round trip falls on few
  executions. The \`warm-prefetch\` systems set \`spec.warm.prefetch\` (docs/warm-replicas.md),
  as Graphile Worker's batched settings set a local queue: the replica claims ahead, and each
  batch carries many executions. Their claimed-ahead executions count as running, so compare
  them with \`graphile-batched\` and BullMQ, not as the same settings as \`warm\`.
  With prefetch on SQLite, the store's one thread is the ceiling: each execution is written three
  times (stored, started, ended) through the indexes of its history row, about 25 µs to store
  and 60 µs to settle and start at batches of 64 (\`node dist/bench/store-warm-step.js 20000 64\`,
  and the store's thread in the CPU tables), so it cannot pass about 12,000 executions/s on
  one core, whatever the rest costs.
`;

function format(value: number): string {
  if (value === Infinity) return '∞';
  if (Number.isNaN(value)) return '–';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(Math.abs(value) >= 10 ? 1 : 2);
}

/**
 * One table per workload. Figures named `<workload>.<setting>.<name>` (a rate, a depth) get a
 * row per setting and system, so that a table stays as wide as the figures of one setting.
 */
function figureTable(records: SystemRecord[], prefix: string): string {
  const figures = [...new Set(records.flatMap((record) => Object.keys(spreads(record)).filter((figure) => figure.startsWith(prefix))))];
  if (figures.length === 0) return '';
  const split = (figure: string) => {
    const rest = figure.slice(prefix.length).split('.');
    return rest.length > 1 ? { setting: rest[0], name: rest.slice(1).join('.') } : { setting: '', name: rest[0] };
  };
  const settings = [...new Set(figures.map((figure) => split(figure).setting))];
  const names = [...new Set(figures.map((figure) => split(figure).name))];
  const arrow = (name: string) => (/PerSec$|achievedRate$/.test(name) ? ' ↑' : /(Ms|Us)$/.test(name) ? ' ↓' : '');
  const withSetting = settings.some(Boolean);
  const header = `| ${withSetting ? 'setting | ' : ''}system | ${names.map((name) => name + arrow(name)).join(' | ')} |`;
  const rows: string[] = [];
  for (const setting of settings) {
    // A system that could not run is named in the systems table, not given rows of n/a.
    for (const record of records.filter((candidate) => !candidate.notAvailable)) {
      const own = spreads(record);
      const cells = names.map((name) => {
        const spread = own[setting ? `${prefix}${setting}.${name}` : `${prefix}${name}`];
        if (!spread) return '–';
        return spread.rounds > 1 ? `${format(spread.median)} (${format(spread.min)}–${format(spread.max)})` : format(spread.median);
      });
      rows.push(`| ${withSetting ? `${Number(setting).toLocaleString('en-US')} | ` : ''}${record.key} | ${cells.join(' | ')} |`);
    }
  }
  return [header, `| ${withSetting ? '--- | ' : ''}--- | ${names.map(() => '---').join(' | ')} |`, ...rows].join('\n');
}

/** The report as Markdown. */
export function toMarkdown(report: RunReport): string {
  const peers = report.systems.filter((record) => !record.pontoon && !record.notAvailable);
  const lines: string[] = [];
  lines.push(`# Pontoon side by side with BullMQ and Graphile Worker`, '');
  lines.push(`Run ${report.startedAt} → ${report.finishedAt}: \`${report.command}\``, '');
  lines.push('## Machine', '');
  const m = report.machine;
  lines.push(`- ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Linux ${m.kernel}, load average at start ${m.loadAverageAtStart}`);
  lines.push(`- Node ${m.node}; Pontoon ${m.pontoonCommit}; ${Object.entries(report.versions).map(([name, version]) => `${name} ${version}`).join('; ')}`);
  for (const [server, values] of Object.entries(report.serverSettings)) {
    lines.push(`- ${server}: ${Object.entries(values).map(([name, value]) => `${name}=${value || "''"}`).join(', ')}`);
  }
  lines.push('', '## Settings', '', '```json', JSON.stringify(report.settings, null, 2), '```', '');
  lines.push('## Systems', '', '| system | what runs | submit-to-start: start taken from | status |', '| --- | --- | --- | --- |');
  for (const record of report.systems) {
    const status = record.notAvailable ? `not available: ${record.notAvailable}` : record.errors.length ? `${record.errors.length} error(s), below` : 'ran';
    lines.push(`| ${record.key} | ${record.description} | ${record.startMeasuredBy} | ${status} |`);
  }
  lines.push('', '## Figures', '', 'Median over rounds (min–max). ↑ higher is better, ↓ lower is better; ms unless named.', '');
  for (const [prefix, title] of workloadTitles) {
    const table = figureTable(report.systems, prefix);
    if (table) lines.push(`### ${title}`, '', table, '');
  }
  lines.push('## Pontoon against the best peer', '');
  if (peers.length === 0) lines.push('No peer ran.', '');
  for (const record of report.systems.filter((candidate) => candidate.pontoon)) {
    if (record.notAvailable) {
      lines.push(`- **${record.key}**: not available (${record.notAvailable})`);
      continue;
    }
    const ratios = ratiosToBestPeer(record, peers);
    lines.push('', `### ${record.key}`, '', '| figure | Pontoon | best peer | ratio (>1: Pontoon ahead) |', '| --- | --- | --- | --- |');
    for (const ratio of ratios) lines.push(`| ${ratio.figure} | ${format(ratio.pontoon)} | ${format(ratio.bestPeerValue)} (${ratio.bestPeer}) | ${formatRatio(ratio)} |`);
  }
  const errors = report.systems.flatMap((record) => record.errors.map((error) => `- ${record.key}: ${error}`));
  if (errors.length) lines.push('', '## Errors', '', ...errors);
  lines.push('', '## How each figure is measured', measuredHow);
  return lines.join('\n') + '\n';
}

/** A ratio as the report prints it: `0.42×`, `≤0.33× (peer under 1 ms)`, `0× (never started)`. */
export function formatRatio({ ratio, qualifier }: Pick<Ratio, 'ratio' | 'qualifier'>): string {
  if (qualifier === 'never-started') return '0× (never started)';
  // Two significant digits below 0.1, so that a far-behind figure still reads as a number.
  const number = ratio === Infinity ? '∞' : ratio < 0.1 ? ratio.toPrecision(2) : ratio.toFixed(2);
  return qualifier === 'at-most' ? `≤${number}× (peer under 1 ms)` : `${number}×`;
}

/** Numbers JSON cannot hold (∞ for never started) become strings. */
function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

/** Writes `<out>/peers-<time>.md` and `.json` and returns their paths. */
export function writeReport(report: RunReport, out: string): { markdown: string; json: string } {
  mkdirSync(out, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const markdown = join(out, `peers-${stamp}.md`);
  const json = join(out, `peers-${stamp}.json`);
  const withRatios = {
    ...report,
    systems: report.systems.map((record) => ({
      ...record,
      spreads: spreads(record),
      ratiosToBestPeer: record.pontoon && !record.notAvailable ? ratiosToBestPeer(record, report.systems.filter((peer) => !peer.pontoon && !peer.notAvailable)) : undefined,
    })),
  };
  writeFileSync(json, JSON.stringify(withRatios, jsonSafe, 2) + '\n');
  writeFileSync(markdown, toMarkdown(report));
  return { markdown, json };
}
