/**
 * Issue 2, cold path: 2,000 executions of a no-op `command` function at parallelism 2, as
 * executions per second, next to a bare loop spawning the same program 2 at a time, same run.
 * Target: ratio ≥ 0.8.   node dist/bench/cold-path.js [count] [rounds]
 *
 * The count is split into rounds that alternate the bare loop and Pontoon, so that a change in
 * the load of this shared 2-core machine falls on both sides alike; the ratio is total against
 * total, and each round's ratio is shown to make the spread visible. On Linux it also shows where
 * the CPU goes per execution (from /proc): the controller, its observer hosts and the programs
 * they ran, against the bare loop's own process and its programs. With the cores saturated, CPU
 * per execution is what sets the ratio.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { childPids, processCpu } from './lib/proc-cpu.js';
import { deployCommand, enqueue, pending, sleep, startBenchServer, type BenchServer } from './lib/server.js';

const count = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 4);
const program = ['true'];

/** Spawns the program `total` times, `width` at a time, as a plain Node loop would; returns seconds. */
async function bareLoop(total: number, width: number): Promise<number> {
  let started = 0;
  const start = performance.now();
  const lane = async () => {
    while (started < total) {
      started++;
      await new Promise<void>((resolve, reject) => {
        const child = spawn(program[0], program.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
        child.once('error', reject);
        child.once('exit', () => resolve());
      });
    }
  };
  await Promise.all(Array.from({ length: width }, lane));
  return (performance.now() - start) / 1000;
}

/** Enqueues `total` executions at once and waits until none is queued or running; returns seconds. */
async function pontoonRun(server: BenchServer, total: number): Promise<number> {
  const start = performance.now();
  await enqueue(server, 'noop', total);
  for (;;) {
    const left = await pending(server, 'noop');
    const remaining = left.queued + left.running;
    if (remaining === 0) break;
    // Each look is an HTTP request and a count in the server, which shares the cores with the
    // attempts (every 20 ms cost it ~5% of a core): look rarely, then closely near the end.
    await sleep(remaining > 40 ? 100 : 5);
  }
  return (performance.now() - start) / 1000;
}

export async function coldPath(): Promise<Record<string, unknown>> {
  const server = await startBenchServer(['--capacity', '8']);
  try {
    await deployCommand(server, 'noop', program, { parallelism: 2 });
    // Forks the observer hosts and lets V8 optimise the server's hot paths, as in a server that
    // has been up a while: it still compiled 20-60 functions per 1,000 executions early on.
    await pontoonRun(server, 500);
    const perRound = Math.ceil(count / rounds);
    let bareSeconds = 0;
    let pontoonSeconds = 0;
    const roundRatios: number[] = [];
    const cpu = new CpuTally(server.pid);
    for (let round = 0; round < rounds; round++) {
      const bare = await cpu.bare(() => bareLoop(perRound, 2));
      const pontoon = await cpu.pontoon(() => pontoonRun(server, perRound));
      bareSeconds += bare;
      pontoonSeconds += pontoon;
      roundRatios.push(round3(bare / pontoon));
    }
    const total = perRound * rounds;
    return {
      executions: total,
      bareSpawnsPerSecond: round1(total / bareSeconds),
      pontoonExecutionsPerSecond: round1(total / pontoonSeconds),
      ratio: round3(bareSeconds / pontoonSeconds),
      roundRatios,
      ...cpu.perExecution(total),
    };
  } finally {
    await server.stop();
  }
}

/** CPU time of each side's processes, summed over the rounds. */
class CpuTally {
  private readonly sums = { controller: 0, hosts: 0, programs: 0, bareLoop: 0, barePrograms: 0 };
  private readonly available = processCpu('self') !== undefined;

  constructor(private readonly serverPid: number) {}

  async bare<T>(run: () => Promise<T>): Promise<T> {
    const before = processCpu('self');
    const result = await run();
    const after = processCpu('self');
    if (before && after) {
      this.sums.bareLoop += after.self - before.self;
      this.sums.barePrograms += after.children - before.children;
    }
    return result;
  }

  async pontoon<T>(run: () => Promise<T>): Promise<T> {
    const hosts = childPids(this.serverPid);
    const read = () => {
      const server = processCpu(this.serverPid);
      const hostTimes = hosts.map((pid) => processCpu(pid) ?? { self: 0, children: 0 });
      return { controller: server?.self ?? 0, hosts: sum(hostTimes.map((h) => h.self)), programs: sum(hostTimes.map((h) => h.children)) };
    };
    const before = read();
    const result = await run();
    const after = read();
    this.sums.controller += after.controller - before.controller;
    this.sums.hosts += after.hosts - before.hosts;
    this.sums.programs += after.programs - before.programs;
    return result;
  }

  /** Milliseconds of CPU per execution, when /proc could be read. */
  perExecution(executions: number): Record<string, unknown> {
    if (!this.available) return {};
    const per = (ms: number) => round3(ms / executions);
    return {
      cpuMsPerExecution: {
        pontoon: { controller: per(this.sums.controller), observerHosts: per(this.sums.hosts), programs: per(this.sums.programs) },
        bare: { loop: per(this.sums.bareLoop), programs: per(this.sums.barePrograms) },
      },
    };
  }
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
const round1 = (value: number) => Number(value.toFixed(1));
const round3 = (value: number) => Number(value.toFixed(3));

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await coldPath(), null, 2));
