import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';
import { cliMain, runCli, type CliRun } from './run-cli.js';

const noConfig = (dir: string) => ({ PONTOON_CONFIG: join(dir, 'no-config.yaml'), PONTOON_TOKEN: '' });

function tokenOf(run: CliRun): string {
  assert.equal(run.code, 0, run.stderr);
  return run.stdout.trim();
}

describe('pontoon CLI with auth on', () => {
  let dir: string;
  let dataDir: string;
  let admin: string;
  let viewer: string;
  let pontoon: TestPontoon;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pontoon-cli-auth-'));
    dataDir = join(dir, 'data');
    admin = tokenOf(await runCli(['token', 'create', '--role', 'admin', '--name', 'ops', '--data-dir', dataDir], { env: noConfig(dir) }));
    viewer = tokenOf(await runCli(['token', 'create', '--role', 'viewer', '--namespaces', 'team', '--data-dir', dataDir], { env: noConfig(dir) }));
    // The tokens file in the data dir turns auth on, as `pontoon up` would find it.
    pontoon = await startTestPontoon({ dataDir }, admin);
  });
  after(async () => {
    await pontoon?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('token create keeps only the hash, in a file only its owner reads', () => {
    const file = join(dataDir, 'tokens.yaml');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes(admin) && !text.includes(viewer));
    assert.match(text, /name: ops/);
  });

  it('without a token a command exits 1 with a readable message that says where the token comes from', async () => {
    const run = await runCli(['get', 'functions', '--url', pontoon.url], { env: noConfig(dir) });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error: UNAUTHENTICATED: this API needs a bearer token/);
    assert.match(run.stderr, /PONTOON_TOKEN/);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  });

  it('sends PONTOON_TOKEN, or the token and server of the config file', async () => {
    const withVariable = await runCli(['get', 'functions', '--url', pontoon.url], { env: { ...noConfig(dir), PONTOON_TOKEN: admin } });
    assert.equal(withVariable.code, 0, withVariable.stderr);
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `server: ${pontoon.url}\ntoken: ${admin}\n`, { mode: 0o600 });
    const withConfig = await runCli(['get', 'functions'], { env: { PONTOON_CONFIG: config, PONTOON_TOKEN: '' } });
    assert.equal(withConfig.code, 0, withConfig.stderr);
  });

  it('a role too weak answers 403 and a namespace without a role 404, each a readable error and exit 1', async () => {
    const env = { ...noConfig(dir), PONTOON_TOKEN: viewer };
    const forbidden = await runCli(['invoke', 'anything', '-n', 'team', '--url', pontoon.url], { env });
    assert.equal(forbidden.code, 1);
    assert.match(forbidden.stderr, /^error: FORBIDDEN: token .* may not invoke in namespace team/);
    const hidden = await runCli(['get', 'functions', '-n', 'default', '--url', pontoon.url], { env });
    assert.equal(hidden.code, 1);
    assert.match(hidden.stderr, /^error: NAMESPACE_NOT_FOUND: namespace default not found/);
  });
});

/** Starts `pontoon up` on a fresh data dir with `args`, until it prints its URL; `stop` ends it. */
async function upUntilStarted(args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'pontoon-up-token-'));
  const child = spawn(process.execPath, [cliMain, 'up', '--port', '0', '--log-format', 'json', '--data-dir', join(dir, 'data'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PONTOON_TOKENS: '' } });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const until = Date.now() + 60_000;
  while (!/Pontoon is up at/.test(stdout) && Date.now() < until && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 100));
  return {
    stdout,
    url: /Pontoon is up at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1],
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('pontoon up and auth', () => {
  it('on loopback with no token it runs open and says so in its log', async () => {
    const up = await upUntilStarted([]);
    try {
      assert.ok(up.url, up.stdout);
      assert.match(up.stdout, /auth is off: no tokens are configured/);
      assert.equal((await fetch(`${up.url}/v1/functions`)).status, 200);
    } finally {
      await up.stop();
    }
  });

  it('--create-admin-token prints an admin token that the server it starts accepts, and says auth is on', async () => {
    const up = await upUntilStarted(['--create-admin-token']);
    const stdout = up.stdout;
    try {
      const url = up.url;
      const token = /export PONTOON_TOKEN=(\S+)/.exec(stdout)?.[1];
      assert.ok(url && token, stdout);
      assert.match(stdout, /auth is on/);
      assert.equal((await fetch(`${url}/v1/functions`)).status, 401);
      assert.equal((await fetch(`${url}/v1/functions`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    } finally {
      await up.stop();
    }
  });
});
