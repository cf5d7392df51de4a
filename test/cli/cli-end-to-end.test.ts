import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { startPontoon } from '../../src/app/start.js';
import { runCli, type CliRun } from './run-cli.js';

const functionsYaml = `# two functions in one file
apiVersion: pontoon.dev/v1
kind: Function
metadata: { name: echo }
spec:
  runtime: command
  command: [sh, -c, 'echo hi; echo "to stderr" >&2; cat "$PONTOON_INPUT" > "$PONTOON_OUTPUT"']
  timeout: 30s
---
apiVersion: pontoon.dev/v1
kind: Function
metadata: { name: sleeper }
spec:
  runtime: command
  command: [sh, -c, 'echo sleeping; sleep 30']
  timeout: 1m
---
`;

const failingJson = JSON.stringify({
  apiVersion: 'pontoon.dev/v1',
  kind: 'Function',
  metadata: { name: 'failing' },
  spec: { runtime: 'command', command: ['sh', '-c', 'echo boom >&2; exit 3'], retry: { limit: 0 } },
});

const tickerYaml = `apiVersion: pontoon.dev/v1
kind: Function
metadata: { name: ticker }
spec:
  runtime: command
  source: ./ticker-src
  command: [sh, -c, 'for i in 1 2 3 4; do echo "tick $i"; sleep 0.3; done']
`;

function idOf(run: CliRun): string {
  const match = /^execution\/(\S+) /m.exec(run.stdout);
  assert.ok(match, `no execution id in: ${run.stdout}${run.stderr}`);
  return match[1]!;
}

function assertOk(run: CliRun): void {
  assert.equal(run.code, 0, `exit code ${run.code}; stderr: ${run.stderr}`);
}

describe('pontoon CLI against a running Pontoon', () => {
  let dir: string;
  let close: () => Promise<void>;
  let cli: (args: string[], input?: string) => Promise<CliRun>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pontoon-cli-e2e-'));
    const pontoon = await startPontoon({ port: 0, dataDir: join(dir, 'data'), logLevel: 'silent' });
    close = () => pontoon.close();
    cli = (args, input) => runCli(args, { env: { PONTOON_URL: pontoon.url }, input, cwd: dir });
    mkdirSync(join(dir, 'specs', 'ticker-src'), { recursive: true });
    writeFileSync(join(dir, 'specs', 'functions.yaml'), functionsYaml);
    writeFileSync(join(dir, 'specs', 'failing.json'), failingJson);
    writeFileSync(join(dir, 'specs', 'ticker.yml'), tickerYaml);
    writeFileSync(join(dir, 'specs', 'notes.txt'), 'not a spec: skipped');
  });

  after(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('deploys every document of every spec file in a directory, each as a new version', async () => {
    const first = await cli(['deploy', '-f', 'specs']);
    assertOk(first);
    const lines = first.stdout.trim().split('\n').sort();
    assert.deepEqual(lines.slice(0, 3), ['function/echo deployed (version 1)', 'function/failing deployed (version 1)', 'function/sleeper deployed (version 1)']);
    // ticker's source directory is packed and uploaded; it is empty, so the package holds no file.
    assert.match(lines[3]!, /^function\/ticker deployed \(version 1, package [0-9a-f]{12}, 0 files, \d+ bytes\)$/);
    const again = await cli(['deploy', '-f', join(dir, 'specs', 'functions.yaml')]);
    assertOk(again);
    assert.equal(again.stdout, 'function/echo deployed (version 2)\nfunction/sleeper deployed (version 2)\n');
  });

  it('resolves a relative spec.source against the spec file, not the working directory, and uploads it', async () => {
    // The working directory is the test dir, where no ticker-src is: the spec file's directory was used.
    const run = await cli(['describe', 'function', 'ticker', '-o', 'json']);
    assertOk(run);
    const { spec } = JSON.parse(run.stdout);
    assert.equal(spec.source, undefined);
    assert.match(spec.package.sha256, /^[0-9a-f]{64}$/);
  });

  it('invokes with --wait and prints the result; --data @file reads the input from a file', async () => {
    const inline = await cli(['invoke', 'echo', '--data', '{"from": 1, "to": 100}', '--wait', '30s']);
    assertOk(inline);
    assert.deepEqual(JSON.parse(inline.stdout), { from: 1, to: 100 });
    writeFileSync(join(dir, 'input.json'), '[1, 2, 3]');
    const fromFile = await cli(['invoke', 'echo', '--data', '@input.json', '--wait']);
    assertOk(fromFile);
    assert.deepEqual(JSON.parse(fromFile.stdout), [1, 2, 3]);
  });

  it('invokes without --wait and answers at once with the execution id and status', async () => {
    const run = await cli(['invoke', 'echo', '--data', '7', '--priority', '5']);
    assertOk(run);
    assert.match(run.stdout, /^execution\/\S+ (queued|running|succeeded)\n$/);
    const described = await cli(['describe', 'execution', idOf(run), '-o', 'json']);
    assert.equal(JSON.parse(described.stdout).priority, 5);
  });

  it('returns the existing execution for a repeated idempotency key', async () => {
    const first = await cli(['invoke', 'echo', '--data', '1', '--idempotency-key', 'order-42']);
    const second = await cli(['invoke', 'echo', '--data', '1', '--idempotency-key', 'order-42']);
    assertOk(second);
    assert.equal(idOf(second), idOf(first));
    assert.match(second.stdout, /existing execution for this idempotency key/);
  });

  it('exits 1 naming the status and the error when the execution fails', async () => {
    const run = await cli(['invoke', 'failing', '--wait', '30s']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error: execution \S+ ended failed/);
    assert.match(run.stderr, /pontoon logs /);
  });

  it('exits 2 when the wait runs out, giving the id; the execution can then be cancelled once', async () => {
    const run = await cli(['invoke', 'sleeper', '--wait', '1s']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /the wait ran out after 1s: execution \S+ is still (queued|running)/);
    const id = idOf(run);
    const cancelled = await cli(['cancel', id]);
    assertOk(cancelled);
    assert.equal(cancelled.stdout, `execution/${id} cancelled\n`);
    const again = await cli(['cancel', id]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error: EXECUTION_FINISHED: /);
  });

  it('enqueues a batch of inputs in one request', async () => {
    writeFileSync(join(dir, 'batch.json'), '[1, 2, 3]');
    const run = await cli(['invoke', 'echo', '--batch', 'batch.json']);
    assertOk(run);
    assert.equal(run.stdout.trim().split('\n').length, 3);
    assert.match(run.stdout, /^execution\/\S+ queued$/m);
  });

  it('lists functions as a table, as JSON and as YAML', async () => {
    const table = await cli(['get', 'functions']);
    assertOk(table);
    assert.match(table.stdout, /^NAME\s+VERSION\s+RUNTIME\s+PACKAGE\s+QUEUED\s+RUNNING\s+REPLICAS\s+LAST EXECUTION\s+AGE$/m);
    assert.match(table.stdout, /^echo\s+2\s+command\s+/m);
    const json = await cli(['get', 'functions', '-o', 'json']);
    assert.deepEqual(JSON.parse(json.stdout).items.map((fn: { metadata: { name: string } }) => fn.metadata.name).sort(), ['echo', 'failing', 'sleeper', 'ticker']);
    const yaml = await cli(['get', 'functions', '-o', 'yaml']);
    assert.equal(parseYaml(yaml.stdout).items.length, 4);
  });

  it('lists executions filtered by function and status, newest first, up to --limit', async () => {
    const table = await cli(['get', 'executions', '--function', 'failing']);
    assertOk(table);
    assert.match(table.stdout, /^ID\s+FUNCTION\s+VERSION\s+STATUS\s+ATTEMPTS/m);
    assert.match(table.stdout, /^\S+\s+failing\s+1\s+failed\s+1\s+/m);
    const failed = await cli(['get', 'executions', '--status', 'failed', '-o', 'json']);
    const items = JSON.parse(failed.stdout).items as Array<{ status: string; function: string }>;
    assert.ok(items.length >= 1);
    assert.ok(items.every((item) => item.status === 'failed'));
    const limited = await cli(['get', 'executions', '--limit', '2', '-o', 'yaml']);
    assert.equal(parseYaml(limited.stdout).items.length, 2);
  });

  it('describes an execution with its attempts, exit codes, errors and result, in each format', async () => {
    const invoked = await cli(['invoke', 'failing', '--wait', '30s', '-o', 'json']);
    assert.equal(invoked.code, 1);
    const id = JSON.parse(invoked.stdout).id as string;
    const text = await cli(['describe', 'execution', id]);
    assertOk(text);
    assert.match(text.stdout, /^Status:\s+failed$/m);
    assert.match(text.stdout, /^Function:\s+failing \(version 1\)$/m);
    assert.match(text.stdout, /^\s+1\s+failed\s+3\s+\S+/m);
    const yaml = parseYaml((await cli(['describe', 'execution', id, '-o', 'yaml'])).stdout);
    assert.equal(yaml.attempts[0].exitCode, 3);
    assert.equal(yaml.status, 'failed');
  });

  it('describes a function with its spec and status', async () => {
    const text = await cli(['describe', 'function', 'echo']);
    assertOk(text);
    assert.match(text.stdout, /^Version:\s+2$/m);
    assert.match(text.stdout, /^Runtime:\s+command$/m);
    assert.match(text.stdout, /^Timeout:\s+30s$/m);
    const yaml = parseYaml((await cli(['describe', 'function', 'echo', '-o', 'yaml'])).stdout);
    assert.equal(yaml.metadata.version, 2);
  });

  it("prints an execution's stdout and stderr lines", async () => {
    const run = await cli(['invoke', 'echo', '--data', '1', '--wait', '30s', '-o', 'json']);
    const id = JSON.parse(run.stdout).id as string;
    const logs = await cli(['logs', id]);
    assertOk(logs);
    assert.match(logs.stdout, /^hi$/m);
    assert.match(logs.stdout, /^to stderr$/m);
    const stamped = await cli(['logs', id, '--timestamps']);
    assert.match(stamped.stdout, /^\d{4}-\d\d-\d\dT\S+ hi$/m);
  });

  it('follows logs live with -f until the execution ends', async () => {
    const run = await cli(['invoke', 'ticker']);
    const logs = await cli(['logs', idOf(run), '-f']);
    assertOk(logs);
    const ticks = logs.stdout.split('\n').filter((line) => line.startsWith('tick'));
    assert.deepEqual(ticks, ['tick 1', 'tick 2', 'tick 3', 'tick 4']);
  });

  it('keeps namespaces apart with -n', async () => {
    const spec = 'apiVersion: pontoon.dev/v1\nkind: Function\nmetadata: {name: scoped}\nspec: {runtime: command, command: [sh, -c, "exit 0"]}\n';
    assertOk(await cli(['deploy', '-n', 'team-a', '-f', '-'], spec));
    assert.match((await cli(['get', 'functions', '-n', 'team-a'])).stdout, /^scoped\s/m);
    assert.doesNotMatch((await cli(['get', 'functions'])).stdout, /^scoped\s/m);
    const all = await cli(['get', 'functions', '-A']);
    assert.match(all.stdout, /^team-a\s+scoped\s/m);
  });

  it('refuses an invalid spec naming every wrong field, with a non-zero exit', async () => {
    const spec = 'apiVersion: pontoon.dev/v1\nkind: Function\nmetadata: {name: wrong}\nspec: {runtime: cobol, timeout: soon}\n';
    const run = await cli(['deploy', '-f', '-'], spec);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /function\/wrong \(stdin\): INVALID_SPEC: /);
    assert.match(run.stderr, /^ {2}- spec\.runtime: /m);
    assert.match(run.stderr, /^ {2}- spec\.timeout: /m);
    assert.match(run.stderr, /1 of 1 function\(s\) were not deployed/);
  });

  it('names unknown functions and executions with their API error code', async () => {
    const fn = await cli(['invoke', 'no-such-function']);
    assert.equal(fn.code, 1);
    assert.match(fn.stderr, /^error: FUNCTION_NOT_FOUND: .*no-such-function/);
    const execution = await cli(['describe', 'execution', 'no-such-execution']);
    assert.equal(execution.code, 1);
    assert.match(execution.stderr, /^error: EXECUTION_NOT_FOUND: /);
  });

  it('deletes a function, after which it is not found', async () => {
    const run = await cli(['delete', 'function', 'ticker']);
    assertOk(run);
    assert.equal(run.stdout, 'function/ticker deleted\n');
    const gone = await cli(['describe', 'function', 'ticker']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /FUNCTION_NOT_FOUND/);
  });
});
