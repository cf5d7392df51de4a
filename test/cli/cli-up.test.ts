import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliMain, runCli } from './run-cli.js';

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
});
