import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import type { Executor, AttemptSink } from '../../src/executors/executor.js';
import { claimedAttempt, nodeFunction, RecordingSink, refOf, shellFunction } from './fixtures.js';

/** What the suite gives an executor under test. */
export interface ConformanceContext {
  sink: AttemptSink;
  /** The grace between SIGTERM and SIGKILL the suite expects (short, so timeouts end quickly). */
  graceMs: number;
}

const isoTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/**
 * Behaviour every Executor adapter must have: the function contract, logs, results, failures,
 * timeouts, stop and parallel attempts. Functions are inline /bin/sh and node scripts, so an
 * adapter running them in containers needs only an image with both.
 */
export function runExecutorConformance(name: string, makeExecutor: (context: ConformanceContext) => Executor | Promise<Executor>): void {
  describe(`${name} executor (conformance)`, () => {
    const executors: Executor[] = [];
    async function setUp(): Promise<{ executor: Executor; sink: RecordingSink }> {
      const sink = new RecordingSink();
      const executor = await makeExecutor({ sink, graceMs: 300 });
      executors.push(executor);
      return { executor, sink };
    }
    afterEach(async () => {
      await Promise.all(executors.splice(0).map((executor) => executor.close()));
    });
    after(async () => {
      await Promise.all(executors.splice(0).map((executor) => executor.close()));
    });

    describe('the function contract', () => {
      it('gives the program every contract variable, its input file and the function env', async () => {
        const { executor, sink } = await setUp();
        const fn = nodeFunction(
          `const fs = require('fs');
           const seen = {};
           for (const [k, v] of Object.entries(process.env)) if (k.startsWith('PONTOON_') || k === 'GREETING') seen[k] = v;
           seen.input = JSON.parse(fs.readFileSync(process.env.PONTOON_INPUT, 'utf8'));
           fs.writeFileSync(process.env.PONTOON_OUTPUT, JSON.stringify(seen));`,
          { env: { GREETING: 'hello' }, timeout: '2m' },
        );
        const claimed = claimedAttempt(fn, { numbers: [1, 2, 3] }, 2);
        const before = Date.now();
        await executor.start(claimed);
        const report = await sink.report(refOf(claimed));
        assert.equal(report.status, 'succeeded', report.error ?? '');
        const seen = report.result as Record<string, unknown>;
        assert.deepEqual(seen.input, { numbers: [1, 2, 3] });
        assert.equal(seen.GREETING, 'hello');
        assert.equal(seen.PONTOON_EXECUTION_ID, claimed.execution.id);
        assert.equal(seen.PONTOON_ATTEMPT, '2');
        assert.equal(seen.PONTOON_FUNCTION, fn.name);
        assert.equal(seen.PONTOON_NAMESPACE, fn.namespace);
        assert.equal(seen.PONTOON_VERSION, String(fn.version));
        for (const variable of ['PONTOON_INPUT', 'PONTOON_OUTPUT', 'PONTOON_ERROR']) {
          assert.equal(typeof seen[variable], 'string', `${variable} is set`);
        }
        assert.notEqual(seen.PONTOON_OUTPUT, seen.PONTOON_INPUT);
        assert.match(String(seen.PONTOON_DEADLINE), isoTime);
        const deadline = Date.parse(String(seen.PONTOON_DEADLINE));
        assert.ok(deadline >= before + 110_000 && deadline <= Date.now() + 120_000, 'the deadline is spec.timeout after the start');
      });

      it('reports the JSON the program wrote to its output file as the result', async () => {
        const { executor, sink } = await setUp();
        const fn = nodeFunction(
          `const fs = require('fs');
           const input = JSON.parse(fs.readFileSync(process.env.PONTOON_INPUT, 'utf8'));
           fs.writeFileSync(process.env.PONTOON_OUTPUT, JSON.stringify({ doubled: input.n * 2 }));`,
        );
        const claimed = claimedAttempt(fn, { n: 21 });
        await executor.start(claimed);
        assert.deepEqual(await sink.report(refOf(claimed)), { status: 'succeeded', exitCode: 0, reason: null, error: null, result: { doubled: 42 } });
      });

      it('reports a null result when the program wrote no output', async () => {
        const { executor, sink } = await setUp();
        const claimed = claimedAttempt(shellFunction('echo nothing to return'));
        await executor.start(claimed);
        const report = await sink.report(refOf(claimed));
        assert.equal(report.status, 'succeeded');
        assert.equal(report.result, null);
      });

      it('sends exactly one report per attempt', async () => {
        const { executor, sink } = await setUp();
        const claimed = claimedAttempt(shellFunction('exit 0'));
        await executor.start(claimed);
        await sink.report(refOf(claimed));
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.equal(sink.reportsOf(refOf(claimed)).length, 1);
      });
    });

    describe('logs', () => {
      it('captures stdout and stderr line by line, in order, with timestamps and their stream', async () => {
        const { executor, sink } = await setUp();
        const claimed = claimedAttempt(shellFunction('echo out-1; sleep 0.1; echo err-1 >&2; sleep 0.1; echo out-2; sleep 0.1; printf "err-2" >&2'));
        await executor.start(claimed);
        assert.equal((await sink.report(refOf(claimed))).status, 'succeeded');
        const lines = sink.linesOf(refOf(claimed)).filter((line) => line.stream !== 'system');
        assert.deepEqual(
          lines.map((line) => [line.stream, line.line]),
          [
            ['stdout', 'out-1'],
            ['stderr', 'err-1'],
            ['stdout', 'out-2'],
            ['stderr', 'err-2'],
          ],
        );
        for (const line of lines) assert.match(line.time, isoTime);
        const times = lines.map((line) => Date.parse(line.time));
        assert.deepEqual(times, [...times].sort((a, b) => a - b), 'timestamps do not go backwards');
      });

      it('keeps logs up to the limit, marks the cut once and keeps reading so the program never blocks', async () => {
        const { executor, sink } = await setUp();
        // 2 MB of output, far beyond a pipe's buffer: a reader that stopped would stall the program.
        const fn = nodeFunction(`for (let i = 0; i < 40000; i++) console.log('line ' + String(i).padStart(44, '0'));`, { limits: { logs: '1Ki' } });
        const claimed = claimedAttempt(fn);
        await executor.start(claimed);
        const report = await sink.report(refOf(claimed));
        assert.equal(report.status, 'succeeded', report.error ?? '');
        const lines = sink.linesOf(refOf(claimed));
        const program = lines.filter((line) => line.stream !== 'system');
        const kept = program.reduce((sum, line) => sum + Buffer.byteLength(line.line), 0);
        assert.equal(kept, 1024);
        assert.equal(program[0].line, `line ${'0'.padStart(44, '0')}`);
        const marks = lines.filter((line) => line.line === '[pontoon] log limit of 1024 bytes reached; further output dropped');
        assert.equal(marks.length, 1);
        assert.equal(marks[0].stream, 'system');
        assert.equal(lines.at(-1), marks[0], 'nothing follows the mark');
      });

      it('keeps the logs of parallel attempts apart', async () => {
        const { executor, sink } = await setUp();
        const claims = ['a', 'b', 'c', 'd'].map((tag) =>
          claimedAttempt(shellFunction(`i=0; while [ $i -lt 30 ]; do echo "${tag}-$i"; i=$((i+1)); done; echo "${tag}-err" >&2`)),
        );
        await Promise.all(claims.map((claimed) => executor.start(claimed)));
        for (const [index, claimed] of claims.entries()) {
          const tag = ['a', 'b', 'c', 'd'][index];
          assert.equal((await sink.report(refOf(claimed))).status, 'succeeded');
          const lines = sink.linesOf(refOf(claimed));
          assert.deepEqual(
            lines.filter((line) => line.stream === 'stdout').map((line) => line.line),
            Array.from({ length: 30 }, (_, i) => `${tag}-${i}`),
          );
          assert.deepEqual(lines.filter((line) => line.stream === 'stderr').map((line) => line.line), [`${tag}-err`]);
        }
      });
    });

    describe('failures', () => {
      it('fails a non-zero exit with its code and the last stderr line', async () => {
        const { executor, sink } = await setUp();
        const claimed = claimedAttempt(shellFunction('echo "starting"; echo "warming up" >&2; echo "disk is full" >&2; exit 3'));
        await executor.start(claimed);
        assert.deepEqual(await sink.report(refOf(claimed)), {
          status: 'failed',
          exitCode: 3,
          reason: 'Error',
          error: 'exited with code 3: disk is full',
          result: null,
        });
      });

      it('fails a non-zero exit with the message the program wrote to its error file', async () => {
        const { executor, sink } = await setUp();
        const claimed = claimedAttempt(shellFunction('echo noise >&2; printf "input must be a list\\n" > "$PONTOON_ERROR"; exit 2'));
        await executor.start(claimed);
        const report = await sink.report(refOf(claimed));
        assert.equal(report.status, 'failed');
        assert.equal(report.exitCode, 2);
        assert.equal(report.error, 'input must be a list');
      });

      it('fails an exit 0 whose output is not valid JSON', async () => {
        const { executor, sink } = await setUp();
        const claimed = claimedAttempt(shellFunction('printf "{not json" > "$PONTOON_OUTPUT"'));
        await executor.start(claimed);
        const report = await sink.report(refOf(claimed));
        assert.equal(report.status, 'failed');
        assert.equal(report.reason, 'Error');
        assert.match(report.error ?? '', /output is not valid JSON/);
      });

      it('fails an output larger than the result limit as ResultTooLarge', async () => {
        const { executor, sink } = await setUp();
        const fn = nodeFunction(`require('fs').writeFileSync(process.env.PONTOON_OUTPUT, JSON.stringify('x'.repeat(2000)));`, { limits: { result: '1Ki' } });
        const claimed = claimedAttempt(fn);
        await executor.start(claimed);
        const report = await sink.report(refOf(claimed));
        assert.equal(report.status, 'failed');
        assert.equal(report.reason, 'ResultTooLarge');
        assert.match(report.error ?? '', /1024 bytes/);
        assert.equal(report.result, null);
      });

      it('fails a program that cannot be started as StartFailed, naming it', async () => {
        const { executor, sink } = await setUp();
        const claimed = claimedAttempt(shellFunction('unused', { command: ['/nonexistent/pontoon-program', '--flag'] }));
        let refusal: Error | undefined;
        await executor.start(claimed).catch((thrown: Error) => (refusal = thrown));
        // An adapter may refuse in start() (the engine records StartFailed then) or report it.
        if (refusal) {
          assert.match(refusal.message, /\/nonexistent\/pontoon-program/);
          return;
        }
        const report = await sink.report(refOf(claimed));
        assert.equal(report.status, 'failed');
        assert.equal(report.reason, 'StartFailed');
        assert.match(report.error ?? '', /\/nonexistent\/pontoon-program/);
      });
    });

    describe('timeouts', () => {
      it('times out a program that ignores SIGTERM by killing it after the grace period', async () => {
        const { executor, sink } = await setUp();
        const claimed = claimedAttempt(shellFunction(`trap '' TERM; echo ready; while :; do sleep 0.1; done`, { timeout: '500ms' }));
        await executor.start(claimed);
        const report = await sink.report(refOf(claimed));
        assert.equal(report.status, 'timed_out');
        assert.equal(report.reason, 'DeadlineExceeded');
        assert.match(report.error ?? '', /timeout of 500ms/);
        assert.deepEqual(executor.running(), []);
      });

      it('times out a program that exits on SIGTERM, keeping what it printed while stopping', async () => {
        const { executor, sink } = await setUp();
        const fn = nodeFunction(
          `process.on('SIGTERM', () => { console.log('cleaning up'); process.exit(0); });
           console.log('working'); setInterval(() => {}, 1000);`,
          // Long enough for node to start and install its handler on a loaded 2-core machine (CI
          // failed with 500 ms: the TERM came before the program had printed anything).
          { timeout: '3s' },
        );
        const claimed = claimedAttempt(fn);
        await executor.start(claimed);
        const report = await sink.report(refOf(claimed));
        assert.equal(report.status, 'timed_out');
        assert.equal(report.reason, 'DeadlineExceeded');
        assert.deepEqual(
          sink.linesOf(refOf(claimed)).filter((line) => line.stream === 'stdout').map((line) => line.line),
          ['working', 'cleaning up'],
        );
      });
    });

    describe('stop and running', () => {
      it('lists a running attempt, and after stop() lists it no more and never reports it', async () => {
        const { executor, sink } = await setUp();
        const claimed = claimedAttempt(shellFunction('echo ready; sleep 30'));
        await executor.start(claimed);
        await sink.line(refOf(claimed), (line) => line.line === 'ready');
        assert.deepEqual(executor.running(), [refOf(claimed)]);
        await executor.stop(refOf(claimed), 'cancelled');
        assert.deepEqual(executor.running(), []);
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.deepEqual(sink.reportsOf(refOf(claimed)), []);
      });

      it('stops every attempt on close()', async () => {
        const { executor, sink } = await setUp();
        const claims = [claimedAttempt(shellFunction('echo ready; sleep 30')), claimedAttempt(shellFunction('echo ready; sleep 30'))];
        for (const claimed of claims) await executor.start(claimed);
        for (const claimed of claims) await sink.line(refOf(claimed), (line) => line.line === 'ready');
        await executor.close();
        assert.deepEqual(executor.running(), []);
        for (const claimed of claims) assert.deepEqual(sink.reportsOf(refOf(claimed)), []);
      });
    });
  });
}
