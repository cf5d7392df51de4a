import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliMain, runCli } from './run-cli.js';

/** A `pontoon up` in a child process, once it prints its URL. */
async function pontoonUp(args: string[]): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [cliMain, 'up', '--log-level', 'silent', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pontoon up printed no URL in 60 s: ${stderr}`)), 60_000);
    child.stdout!.on('data', () => {
      const match = /Pontoon is up at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then((code) => reject(new Error(`pontoon up exited ${code} before printing its URL: ${stderr}`)));
  });
  return { child, url, exited };
}

async function json(url: string, method = 'GET', body?: unknown): Promise<any> {
  const response = await fetch(url, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return response.json();
}

describe('pontoon up', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pontoon-up-'));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints its URL, serves the API with the examples deployed, and exits 0 on SIGTERM', async () => {
    // Settings through the environment, as a container would give them.
    const env = { ...process.env, PONTOON_PORT: '0', PONTOON_DATA_DIR: join(dir, 'data'), PONTOON_LOG_LEVEL: 'silent', PONTOON_CAPACITY: '2' };
    const child = spawn(process.execPath, [cliMain, 'up', '--examples'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const onData = () => {
          const match = /Pontoon is up at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
          if (match) resolve(match[1]!);
        };
        child.stdout.on('data', onData);
        void exited.then((code) => reject(new Error(`pontoon up exited ${code} before printing its URL: ${stderr}`)));
      });
      assert.match(stdout, new RegExp(`data in ${join(dir, 'data')}`));
      const health = await fetch(`${url}/healthz`);
      assert.equal(health.status, 200);
      const functions = await runCli(['get', 'functions', '--url', url]);
      assert.equal(functions.code, 0, functions.stderr);
      assert.match(functions.stdout, /^primes\s/m);
      assert.match(functions.stdout, /^flaky\s/m);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
    }
  });

  it('refuses a port out of range with a readable error', async () => {
    const run = await runCli(['up', '--port', '70000', '--data-dir', join(dir, 'unused')]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /--port.*must be an integer from 0 to 65535/);
  });

  it('refuses a --pass-env that is not a variable name, naming it', async () => {
    const run = await runCli(['up', '--port', '0', '--pass-env', 'GOOD,NOT-A-NAME', '--data-dir', join(dir, 'pass-env'), '--log-level', 'silent']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error: cannot start Pontoon: passEnv must be environment variable names .*"NOT-A-NAME"/);
  });

  it('refuses an --allow-outbound entry that is no CIDR, address or host, an --event-sink it does not allow, and a --secret-store of no known kind', async () => {
    const allow = await runCli(['up', '--port', '0', '--allow-outbound', '10.0.0.0/8,10.0.0.0/99', '--data-dir', join(dir, 'allow'), '--log-level', 'silent']);
    assert.equal(allow.code, 1);
    assert.match(allow.stderr, /^error: cannot start Pontoon: allowOutbound entries must be CIDRs, addresses or host names, not "10\.0\.0\.0\/99"/);
    const sink = await runCli(['up', '--port', '0', '--event-sink', 'http://ops:pw@169.254.169.254/', '--data-dir', join(dir, 'sink'), '--log-level', 'silent']);
    assert.equal(sink.code, 1);
    assert.match(sink.stderr, /^error: cannot start Pontoon: eventSinks http:\/\/REDACTED@169\.254\.169\.254\/ is refused: .*link-local/);
    assert.doesNotMatch(sink.stderr, /pw@/);
    const store = await runCli(['up', '--port', '0', '--secret-store', 'vault:x', '--data-dir', join(dir, 'store'), '--log-level', 'silent']);
    assert.equal(store.code, 1);
    assert.match(store.stderr, /^error: cannot start Pontoon: secretStore must be files:<directory> or env:<PREFIX_>/);
  });

  it('refuses a lease or grace out of bounds, naming the bounds', async () => {
    const lease = await runCli(['up', '--port', '0', '--lease', '99999999999h', '--data-dir', join(dir, 'lease'), '--log-level', 'silent']);
    assert.equal(lease.code, 1);
    assert.match(lease.stderr, /^error: cannot start Pontoon: lease must be from 1s to 1h, not 99999999999h/);
    const grace = await runCli(['up', '--port', '0', '--grace', '2h', '--data-dir', join(dir, 'grace'), '--log-level', 'silent']);
    assert.equal(grace.code, 1);
    assert.match(grace.stderr, /^error: cannot start Pontoon: grace must be from 0s to 10m, not 2h/);
  });

  it('says why it cannot start when the port is taken', async () => {
    const blocker = spawn(process.execPath, ['-e', "require('net').createServer().listen(0,'127.0.0.1',function(){console.log(this.address().port)})"], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const port = await new Promise<string>((resolve) => blocker.stdout.setEncoding('utf8').once('data', (chunk: string) => resolve(chunk.trim())));
      const run = await runCli(['up', '--port', port, '--data-dir', join(dir, 'taken'), '--log-level', 'silent']);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /^error: cannot start Pontoon: .*EADDRINUSE/);
      assert.doesNotMatch(run.stderr, /\n\s+at /);
    } finally {
      blocker.kill('SIGKILL');
    }
  });
  it('refuses a data dir another server holds, naming it and that server, and leaves its running attempt alone', async () => {
    const dataDir = join(dir, 'held');
    const first = await pontoonUp(['--port', '0', '--data-dir', dataDir]);
    try {
      const deployed = await json(`${first.url}/v1/namespaces/default/functions/slow`, 'PUT', {
        apiVersion: 'pontoon.dev/v1',
        kind: 'Function',
        metadata: { name: 'slow' },
        spec: { runtime: 'command', command: ['/bin/sh', '-c', 'sleep 3; echo \'"done"\' > "$PONTOON_OUTPUT"'], timeout: '1m' },
      });
      assert.equal(deployed.metadata?.version, 1, JSON.stringify(deployed));
      const { id } = await json(`${first.url}/v1/namespaces/default/functions/slow/invoke`, 'POST', {});
      const executionUrl = `${first.url}/v1/namespaces/default/executions/${id}`;
      for (let i = 0; i < 200 && (await json(executionUrl)).status !== 'running'; i++) await new Promise((resolve) => setTimeout(resolve, 25));
      assert.equal((await json(executionUrl)).status, 'running');
      const port = new URL(first.url).port;
      // Another port, then the same one: refused before the port is even tried.
      for (const args of [['--port', '0'], ['--port', port]]) {
        const second = await runCli(['up', ...args, '--data-dir', dataDir, '--log-level', 'silent']);
        assert.equal(second.code, 1, second.stderr);
        assert.equal(second.stderr, `error: cannot start Pontoon: data dir ${dataDir} is in use by another Pontoon (pid ${first.child.pid}); stop it or choose another --data-dir\n`);
      }
      let execution: any;
      for (let i = 0; i < 400; i++) {
        execution = await json(executionUrl);
        if (execution.status !== 'running' && execution.status !== 'queued') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(execution.status, 'succeeded', JSON.stringify(execution));
      assert.equal(execution.result, 'done');
      assert.equal(execution.attempts.length, 1);
      first.child.kill('SIGTERM');
      assert.equal(await first.exited, 0);
      // Released with its holder: the data dir is free again.
      // (It printed its URL: it started. Its SIGTERM handler may not be installed yet, hence SIGKILL.)
      const again = await pontoonUp(['--port', '0', '--data-dir', dataDir]);
      again.child.kill('SIGKILL');
      await again.exited;
    } finally {
      first.child.kill('SIGKILL');
    }
  });

  it('frees the data dir when its server is killed with SIGKILL', async () => {
    const dataDir = join(dir, 'killed');
    const first = await pontoonUp(['--port', '0', '--data-dir', dataDir]);
    first.child.kill('SIGKILL');
    await first.exited;
    // It prints its URL only once it is up, so this resolving is the assertion.
    const second = await pontoonUp(['--port', '0', '--data-dir', dataDir]);
    second.child.kill('SIGKILL');
    await second.exited;
  });

  it('runs attempts under a work root of unpredictable name, mode 0700 (0711 as root, for the function users), recorded in the data dir', async () => {
    const dataDir = join(dir, 'work-root');
    const server = await pontoonUp(['--port', '0', '--data-dir', dataDir]);
    try {
      const root = readFileSync(join(dataDir, 'work-root'), 'utf8').trim();
      assert.match(root, /\/pontoon-[A-Za-z0-9]{6}$/);
      const stats = lstatSync(root);
      assert.ok(stats.isDirectory());
      // Functions run as dynamic users under root: each may enter its own dir, not list the others.
      assert.equal(stats.mode & 0o777, process.geteuid!() === 0 ? 0o711 : 0o700);
      assert.equal(stats.uid, process.geteuid!());
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
