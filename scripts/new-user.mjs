#!/usr/bin/env node
// A new user's first start, as the README's Quickstart has it (`npm start`: `pontoon up --examples`),
// on a machine where Pontoon has never run: an empty HOME, so no Maven repository, no Go module or
// build cache, no pip or npm cache. Every example in examples/ must deploy and answer an invocation
// with the right result. Run by .ci/run before `npm test`, whose suites run with the CI machine's
// warm caches and so cannot see a runtime that only works once something was fetched by hand.
// Usage: node scripts/new-user.mjs (after `npm run build`). Exits non-zero, saying why, on failure.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The whole step, start to stop: a first Java build fetches ~25 MB with Maven, Go fills its cache. */
const budgetMs = 15 * 60_000;
const deadline = Date.now() + budgetMs;

const primes1to30 = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29];
/** What each example is invoked with and must answer; an example missing here fails the step. */
const expected = {
  primes: { input: [1, 30], result: primes1to30 },
  'primes-node': { input: [1, 30], result: primes1to30 },
  'primes-python': { input: [1, 30], result: primes1to30 },
  'primes-java': { input: [1, 30], result: primes1to30 },
  'primes-go': { input: [1, 30], result: primes1to30 },
  // Fails twice, then succeeds: the retries (1 s, then 2 s of backoff) are part of the example.
  flaky: { input: null, result: { ok: true, attempts: 3 } },
};

/** The names of the Function documents in examples/<dir>/*.yaml, as `up --examples` deploys them. */
function exampleNames() {
  const names = [];
  const examples = join(root, 'examples');
  for (const dir of readdirSync(examples, { withFileTypes: true }).filter((entry) => entry.isDirectory())) {
    for (const file of readdirSync(join(examples, dir.name)).filter((name) => /\.(ya?ml|json)$/.test(name))) {
      for (const document of parseAllDocuments(readFileSync(join(examples, dir.name, file), 'utf8'))) {
        const parsed = document.toJS();
        if (parsed?.kind === 'Function' && parsed.metadata?.name) names.push(parsed.metadata.name);
      }
    }
  }
  return names.sort();
}

const home = mkdtempSync(join(tmpdir(), 'pontoon-new-user-'));
// The builds live in this HOME too: as root, Pontoon keeps them in /var/cache/pontoon/builds, shared
// by every server of the machine, where an earlier run's Java and Go builds would spare this one
// its first fetch. Functions then run as other users, who must be able to enter the HOME to reach
// the builds (a home is 0755 on Debian; mkdtemp makes it 0700).
const buildDir = join(home, 'builds');
chmodSync(home, 0o755);
const dataDir = join(home, 'pontoon-data');
const serverLog = join(home, 'server.log');
let server;
let log = '';

/**
 * The environment of a new user: the machine's PATH and toolchain locations, a HOME of its own and
 * nothing else of ours (no GOPATH, GOCACHE, GOFLAGS, PIP_*, npm_config_*, MAVEN_OPTS from outside).
 * Maven takes its repository and settings from Java's user.home, which the JVM reads from the
 * password database, not from $HOME: MAVEN_OPTS moves it into the new HOME too.
 */
function newUserEnv() {
  const env = { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', TMPDIR: tmpdir(), MAVEN_OPTS: `-Duser.home=${home}` };
  // Where the machine's toolchains and network are, which a new user's shell has as well.
  for (const name of ['JAVA_HOME', 'GOROOT', 'http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY']) {
    if (process.env[name]) env[name] = process.env[name];
  }
  return env;
}

/** Ends the step: the message, then the server's last log lines, are printed once by the caller. */
function fail(message) {
  throw new Error(message);
}

function remainingMs() {
  return Math.max(0, deadline - Date.now());
}

/** Starts `pontoon up --examples` on a free port and resolves with its URL once the examples are deployed. */
function startServer() {
  return new Promise((resolvePromise, reject) => {
    server = spawn(process.execPath, [join(root, 'bin', 'pontoon.js'), 'up', '--examples', '--port', '0', '--data-dir', dataDir, '--build-dir', buildDir], {
      cwd: home,
      env: newUserEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => reject(new Error(`the server did not report "Pontoon is up" within ${budgetMs / 1000} s`)), remainingMs());
    const keep = (chunk) => {
      log += chunk.toString('utf8');
      // `up` prints this once startPontoon returned, which is after every example was deployed.
      const up = /Pontoon is up at (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (up) {
        clearTimeout(timer);
        resolvePromise(up[1]);
      }
    };
    server.stdout.on('data', keep);
    server.stderr.on('data', keep);
    server.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${signal ?? `code ${code}`}) before it was up`));
    });
  });
}

async function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((done) => server.once('exit', done));
  server.kill('SIGTERM');
  // It stops its running attempts first (TERM, then KILL after the grace period, 10 s).
  let timer;
  const stopped = await Promise.race([exited.then(() => true), new Promise((done) => (timer = setTimeout(() => done(false), 30_000)))]);
  clearTimeout(timer);
  if (!stopped) {
    server.kill('SIGKILL');
    await exited;
    fail('the server did not stop within 30 s of SIGTERM');
  }
}

/** The server's log entries (its JSON lines; the CLI's own lines and a partial last one left out). */
function logEntries() {
  const entries = [];
  for (const line of log.split('\n')) {
    try {
      const entry = JSON.parse(line);
      if (entry && typeof entry === 'object') entries.push(entry);
    } catch {
      // not a log entry
    }
  }
  return entries;
}

/** Why the server did not deploy an example, as it logged it. */
function deployError(name) {
  const entry = logEntries().find((e) => e.msg === 'example not deployed' && e.err?.message?.includes(`/${name}`));
  return entry?.err?.message;
}

async function api(url, method, path, body) {
  const response = await fetch(url + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(Math.max(1000, remainingMs())),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

async function main() {
  const started = Date.now();
  const names = exampleNames();
  const unknown = names.filter((name) => !(name in expected));
  if (unknown.length > 0) fail(`examples without an expected result in scripts/new-user.mjs: ${unknown.join(', ')} (add what to invoke them with and what they answer)`);
  process.stdout.write(`new-user: HOME=${home} (empty); starting pontoon up --examples; ${names.length} examples: ${names.join(', ')}\n`);

  const url = await startServer();
  const upSeconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`new-user: up at ${url} with the examples deployed after ${upSeconds} s\n`);
  // When each deploy ended (they run one after the other, in the server's order).
  for (const entry of logEntries()) {
    if (entry.msg === 'example deployed') process.stdout.write(`new-user:   ${entry.function} deployed at +${((entry.time - started) / 1000).toFixed(1)} s\n`);
  }

  const problems = [];
  await Promise.all(
    names.map(async (name) => {
      const fn = await api(url, 'GET', `/v1/namespaces/default/functions/${name}`);
      if (fn.status !== 200) {
        problems.push(`${name} was not deployed (GET answered ${fn.status}): ${deployError(name) ?? "the server's log says why"}`);
        return;
      }
      const { input, result } = expected[name];
      const waitSeconds = Math.max(1, Math.min(120, Math.floor(remainingMs() / 1000) - 5));
      const run = await api(url, 'POST', `/v1/namespaces/default/functions/${name}/invoke?wait=${waitSeconds}s`, input);
      const got = run.body;
      if (run.status !== 200 || got?.status !== 'succeeded') {
        problems.push(`${name}: invoke with ${JSON.stringify(input)} answered ${run.status} ${JSON.stringify(got)}`);
      } else if (JSON.stringify(got.result) !== JSON.stringify(result)) {
        problems.push(`${name}: result ${JSON.stringify(got.result)}, expected ${JSON.stringify(result)}`);
      } else {
        process.stdout.write(`new-user: ${name} ok (${JSON.stringify(input)} -> ${JSON.stringify(got.result)})\n`);
      }
    }),
  );
  if (problems.length > 0) fail(problems.join('\n  '));

  // The step means something only if the runtimes really started from nothing: what they fetched
  // and built is in the new HOME, not in the machine's own caches.
  const filled = { "Maven's repository": join(home, '.m2', 'repository', 'com', 'fasterxml', 'jackson'), "Go's build cache": join(home, '.cache', 'go-build') };
  for (const [what, path] of Object.entries(filled)) {
    if (!existsSync(path)) fail(`${what} is not in the new HOME (${path}): the step did not start from an empty one`);
  }
  await stopServer();
  process.stdout.write(`new-user: every example deployed and answered; ${((Date.now() - started) / 1000).toFixed(1)} s in all\n`);
}

try {
  await main();
  const removing = Date.now();
  rmSync(home, { recursive: true, force: true });
  process.stdout.write(`new-user: removed the new HOME in ${((Date.now() - removing) / 1000).toFixed(1)} s\n`);
} catch (thrown) {
  process.stderr.write(`new-user: FAILED: ${thrown instanceof Error ? thrown.message : thrown}\n`);
  await stopServer().catch((error) => process.stderr.write(`new-user: ${error.message}\n`));
  if (log.trim() === '') {
    rmSync(home, { recursive: true, force: true });
  } else {
    // The new HOME is kept for a look at what the runtimes fetched and built.
    writeFileSync(serverLog, log);
    const lines = log.trimEnd().split('\n');
    process.stderr.write(`new-user: the server's last ${Math.min(lines.length, 60)} log lines (all of them in ${serverLog}):\n${lines.slice(-60).join('\n')}\n`);
  }
  process.exitCode = 1;
}
