// Cold start per language: dispatch (the attempt's startedAt) to the function's first line of user
// code (its first log line's timestamp), and the whole attempt of a no-op, next to a bare start of
// the same runtime in the same run. Like is timed against like: the first line with functions that
// print one line, against a bare start printing one line; the whole attempt with twins that print
// nothing (bench/cold-start/functions/*-quiet), against a bare start printing nothing (a first
// write to a pipe costs Node ~5 ms of start and exit). Run: `node dist/bench/cold-start.js [runs]`
// after a build.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPontoon } from '../src/app/start.js';
import { inheritedEnv } from '../src/observer/inherited-env.js';
import { bareRun, type BareRun } from './cold-start/bare.js';
import { median } from './lib/stats.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const functions = join(root, 'bench/cold-start/functions');
const runs = Number(process.argv[2] ?? 15);

interface Variant {
  language: string;
  form: 'program' | 'handler';
  spec: Record<string, unknown>;
}

const variants: Variant[] = [
  { language: 'node', form: 'program', spec: { runtime: 'node', source: join(functions, 'node') } },
  { language: 'node', form: 'handler', spec: { runtime: 'node', source: join(functions, 'node'), handler: 'handler.handle' } },
  { language: 'python', form: 'program', spec: { runtime: 'python', source: join(functions, 'python') } },
  { language: 'python', form: 'handler', spec: { runtime: 'python', source: join(functions, 'python'), handler: 'handler.handle' } },
  { language: 'java', form: 'program', spec: { runtime: 'java', source: join(functions, 'java'), handler: 'Noop' } },
  { language: 'java', form: 'handler', spec: { runtime: 'java', source: join(functions, 'java'), handler: 'Handle' } },
  { language: 'go', form: 'program', spec: { runtime: 'go', source: join(functions, 'go'), handler: './noop' } },
  { language: 'go', form: 'handler', spec: { runtime: 'go', source: join(functions, 'go'), handler: './handler' } },
];

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pontoon-cold-start-'));
  const scratch = mkdtempSync(join(tmpdir(), 'pontoon-bare-'));
  // Capacity 1: one attempt at a time, so each figure is a cold start on an otherwise idle server.
  const pontoon = await startPontoon({ port: 0, dataDir, logLevel: 'silent', capacity: 1, sourceRoots: [functions, tmpdir()] });
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(pontoon.url + path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return (await response.json()) as any;
  };
  try {
    for (const variant of variants) {
      for (const [name, spec] of [
        [`cold-${variant.language}-${variant.form}`, variant.spec],
        [`cold-${variant.language}-${variant.form}-quiet`, { ...variant.spec, source: `${variant.spec.source}-quiet` }],
      ] as const) {
        const deployed = await api('PUT', `/v1/namespaces/default/functions/${name}`, { apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name }, spec: { ...spec, retry: { limit: 0 } } });
        if (deployed.error) throw new Error(`${name}: ${deployed.error.message}`);
      }
    }
    // The same runtimes started bare.
    writeFileSync(join(scratch, 'Hello.java'), 'public class Hello { public static void main(String[] a) { System.out.println("first line"); } }\n');
    writeFileSync(join(scratch, 'Quiet.java'), 'public class Quiet { public static void main(String[] a) {} }\n');
    execFileSync('javac', ['-d', scratch, join(scratch, 'Hello.java'), join(scratch, 'Quiet.java')]);
    const python3 = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    const goBinary = (dir: string) => {
      const binary = join(scratch, dir);
      execFileSync('go', ['build', '-o', binary, '.'], { cwd: join(functions, dir, 'noop'), env: { ...process.env, GO111MODULE: 'off' } });
      return binary;
    };
    // Bare starts get the environment Pontoon gives its programs: a variable such as
    // NODE_EXTRA_CA_CERTS (a CA bundle Node parses at start, 70 ms here) would slow one side only.
    const programEnv = inheritedEnv(process.env);
    const bare: Record<string, string[][]> = {
      node: [[process.execPath, '-e', '0'], [process.execPath, '-e', 'console.log("first line")']],
      // The real interpreter, as the python runtime starts it: through PATH, python3 may be a
      // version manager's shim (pyenv's took 137 ms here), which would flatter Pontoon.
      python: [[python3, '-c', '0'], [python3, '-c', 'print("first line")']],
      java: [['java', '-cp', scratch, 'Quiet'], ['java', '-cp', scratch, 'Hello']],
      go: [[goBinary('go-quiet')], [goBinary('go')]],
    };

    // Interleaved run by run, so that the load of this shared machine falls on both sides alike.
    const pontoonFigures = new Map<string, { firstLine: number[]; whole: number[] }>();
    const bareRuns = new Map<string, { firstLine: number[]; whole: number[] }>();
    for (let run = 0; run <= runs; run++) {
      for (const variant of variants) {
        const name = `cold-${variant.language}-${variant.form}`;
        const invoke = async (fn: string) => {
          const execution = await api('POST', `/v1/namespaces/default/functions/${fn}/invoke?wait=60s`, null);
          if (execution.status !== 'succeeded') throw new Error(`${fn}: ${JSON.stringify(execution)}`);
          return execution;
        };
        const printing = await invoke(name);
        const logs = await api('GET', `/v1/namespaces/default/executions/${printing.id}/logs`);
        const first = logs.items.find((item: { line: string }) => item.line === 'first line');
        const quiet = (await invoke(`${name}-quiet`)).attempts[0];
        const [noop, printer] = bare[variant.language];
        const a: BareRun = await bareRun(noop, programEnv);
        const b: BareRun = await bareRun(printer, programEnv);
        if (run === 0) continue; // the first run warms the page cache and the server's code paths
        const key = `${variant.language} ${variant.form}`;
        const figures = pontoonFigures.get(key) ?? { firstLine: [], whole: [] };
        figures.firstLine.push(Date.parse(first.time) - Date.parse(printing.attempts[0].startedAt));
        figures.whole.push(Date.parse(quiet.finishedAt) - Date.parse(quiet.startedAt));
        pontoonFigures.set(key, figures);
        const base = bareRuns.get(variant.language) ?? { firstLine: [], whole: [] };
        base.whole.push(a.wholeMs);
        base.firstLine.push(b.firstLineMs ?? b.wholeMs);
        bareRuns.set(variant.language, base);
      }
    }
    const bareFigures = new Map([...bareRuns].map(([language, f]) => [language, { whole: median(f.whole), firstLine: median(f.firstLine) }]));

    console.log(`cold start, median of ${runs} runs (ms)`);
    console.log('language  form      first line  whole attempt | bare first line  bare whole | added (first line, whole)');
    for (const [key, figures] of pontoonFigures) {
      const [language, form] = key.split(' ');
      const base = bareFigures.get(language)!;
      const firstLine = median(figures.firstLine);
      const whole = median(figures.whole);
      console.log(
        `${language.padEnd(9)} ${form.padEnd(9)} ${firstLine.toFixed(0).padStart(10)} ${whole.toFixed(0).padStart(14)} | ${base.firstLine.toFixed(1).padStart(15)} ${base.whole.toFixed(1).padStart(11)} | ${(firstLine - base.firstLine).toFixed(1).padStart(8)} ${(whole - base.whole).toFixed(1).padStart(8)}`,
      );
    }
    console.log('whole attempt: a twin of the function that prints nothing; bare whole: node -e 0 | python3 -c 0 (the real interpreter) | java -cp . Quiet | a Go no-op binary, all printing nothing; bare first line: the same printing one line');
  } finally {
    await pontoon.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
