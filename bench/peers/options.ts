/** The command line of `npm run bench:peers`. */
import { parseArgs } from 'node:util';

/** Everything a run is set up with; written into the report. */
export interface Settings {
  quick: boolean;
  rounds: number;
  concurrency: number;
  workloads: string[];
  systems: string[] | undefined;
  out: string;
  /** Extra PostgreSQL server options (e.g. "-c synchronous_commit=off"); PostgreSQL's defaults otherwise. */
  pgSettings: string;
  burnDown: { jobs: number; warmUpJobs: number; timeoutSeconds: number };
  openLoop: { rates: number[]; seconds: number; warmUpJobs: number; warmUpArrivals: number; warmUpSeconds: number; drainTimeoutSeconds: number; sampleLimit: number };
  idle: { jobs: number; warmUpJobs: number };
  depth: { depths: number[]; windowSeconds: number; insertBudgetSeconds: number; warmUpJobs: number };
}

/** Every workload, in the order a round runs them. */
export const allWorkloads = ['burn-down', 'open-loop', 'idle', 'depth'];

export const usage = `npm run bench:peers -- [options]

Pontoon side by side with BullMQ and Graphile Worker on this machine (see README, "Benchmarks").

  --quick                small N, one round: checks the harness end to end in a few minutes
  --rounds <n>           rounds; each runs every workload on every system, in a rotated order (3)
  --concurrency <n>      jobs at once, the same total for every system (8)
  --jobs <n>             burn-down jobs (20000; quick 1000)
  --warm-up <n>          jobs each fresh instance drains before its burn-down, not measured (as many as --jobs)
  --rates <list>         open-loop arrival rates per second (200,1000,5000)
  --open-seconds <s>     seconds of arrivals per rate (10; quick 1)
  --open-warm-up-jobs <n>
                         jobs submitted one by one at 1000/s (or the rate, if higher) before each
                         rate's own warm-up, not measured (5000; quick 0)
  --open-warm-up <s>     seconds of arrivals at the same rate before those, not measured (2; quick 0.5)
  --idle <n>             idle-latency jobs, one at a time (1000; quick 50)
  --depths <list>        queue depths for the dispatch rate (1000,100000,1000000; quick 1000,10000)
  --depth-window <s>     seconds over which the rate at depth is measured (10; quick 2)
  --workloads <list>     a subset of ${allWorkloads.join(',')}
  --systems <list>       a subset of the system keys (see the report)
  --out <dir>            where the reports go (bench/results)
  --pg-settings=<opts>   extra PostgreSQL server options, e.g. --pg-settings="-c synchronous_commit=off"
                         (default: PostgreSQL's own, durable defaults)
`;

const list = (value: string) => value.split(',').map((item) => item.trim()).filter(Boolean);
const numbers = (value: string) => list(value).map((item) => positive(item, 'list item'));

function positive(value: string, name: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive number, not ${JSON.stringify(value)}`);
  return parsed;
}

function nonNegative(value: string, name: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`--${name} must be a number of 0 or more, not ${JSON.stringify(value)}`);
  return parsed;
}

/** Parses argv into settings; throws with a readable message on bad input. */
export function parseSettings(argv: string[]): Settings | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' },
      quick: { type: 'boolean' },
      rounds: { type: 'string' },
      concurrency: { type: 'string' },
      jobs: { type: 'string' },
      'warm-up': { type: 'string' },
      rates: { type: 'string' },
      'open-seconds': { type: 'string' },
      'open-warm-up': { type: 'string' },
      'open-warm-up-jobs': { type: 'string' },
      idle: { type: 'string' },
      depths: { type: 'string' },
      'depth-window': { type: 'string' },
      workloads: { type: 'string' },
      systems: { type: 'string' },
      out: { type: 'string' },
      'pg-settings': { type: 'string' },
    },
  });
  if (values.help) return 'help';
  const quick = values.quick === true;
  const workloads = values.workloads ? list(values.workloads) : allWorkloads;
  const unknown = workloads.filter((name) => !allWorkloads.includes(name));
  if (unknown.length) throw new Error(`--workloads: unknown ${unknown.join(', ')} (known: ${allWorkloads.join(', ')})`);
  const jobs = values.jobs ? positive(values.jobs, 'jobs') : quick ? 1_000 : 20_000;
  return {
    quick,
    rounds: values.rounds ? positive(values.rounds, 'rounds') : quick ? 1 : 3,
    concurrency: values.concurrency ? positive(values.concurrency, 'concurrency') : 8,
    workloads,
    systems: values.systems ? list(values.systems) : undefined,
    out: values.out ?? 'bench/results',
    pgSettings: values['pg-settings'] ?? '',
    burnDown: { jobs, warmUpJobs: values['warm-up'] ? nonNegative(values['warm-up'], 'warm-up') : jobs, timeoutSeconds: quick ? 300 : 1_200 },
    openLoop: {
      rates: values.rates ? numbers(values.rates) : [200, 1_000, 5_000],
      seconds: values['open-seconds'] ? positive(values['open-seconds'], 'open-seconds') : quick ? 1 : 10,
      warmUpJobs: 200,
      warmUpArrivals: values['open-warm-up-jobs'] ? nonNegative(values['open-warm-up-jobs'], 'open-warm-up-jobs') : quick ? 0 : 5_000,
      warmUpSeconds: values['open-warm-up'] ? nonNegative(values['open-warm-up'], 'open-warm-up') : quick ? 0.5 : 2,
      drainTimeoutSeconds: quick ? 20 : 60,
      sampleLimit: 5_000,
    },
    idle: { jobs: values.idle ? positive(values.idle, 'idle') : quick ? 50 : 1_000, warmUpJobs: 50 },
    depth: {
      depths: values.depths ? numbers(values.depths) : quick ? [1_000, 10_000] : [1_000, 100_000, 1_000_000],
      windowSeconds: values['depth-window'] ? positive(values['depth-window'], 'depth-window') : quick ? 2 : 10,
      insertBudgetSeconds: quick ? 60 : 300,
      warmUpJobs: 200,
    },
  };
}
