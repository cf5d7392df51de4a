#!/usr/bin/env node
// Runs the whole test suite: the compiled TypeScript tests with node's test runner, then each
// SDK's own suite with its own tool. Exits non-zero if any part fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const only = process.argv.slice(2);

function findTests(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return findTests(path);
    return entry.endsWith('.test.js') ? [path] : [];
  });
}

const files = findTests('dist/test').filter((file) => only.length === 0 || only.some((part) => file.includes(part)));
// A test whose assertion is a rate over real time (`*.alone.test.ts`) runs after the others, by
// itself: beside another file on two cores, its processes are descheduled and it measures the load.
const alone = files.filter((file) => file.endsWith('.alone.test.js'));
const together = files.filter((file) => !alone.includes(file));
const suites = [];
for (const [name, group, concurrency] of [['node', together, 2], ['node (alone)', alone, 1]]) {
  if (group.length === 0) continue;
  suites.push({ name, command: process.execPath, args: ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...group] });
}
for (const extra of ['sdk/run-tests.sh']) {
  if (only.length === 0 && existsSync(extra)) suites.push({ name: extra, command: 'bash', args: [extra] });
}

/** True when PostgreSQL's server binaries are on PATH or where Debian puts them. */
function hasPostgres() {
  if (spawnSync('sh', ['-c', 'command -v initdb'], { stdio: 'ignore' }).status === 0) return true;
  return existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((version) => existsSync(join('/usr/lib/postgresql', version, 'bin', 'initdb')));
}

// The PostgreSQL store's tests need a database: start a throwaway cluster unless one is given.
// Without PostgreSQL those tests skip with a message, or fail in CI (see test/helpers/postgres.ts).
let cluster;
if (!process.env.PONTOON_TEST_PG_URL && hasPostgres()) {
  console.log('== starting a throwaway PostgreSQL cluster (scripts/pg-cluster.sh)');
  const printed = execFileSync('bash', ['scripts/pg-cluster.sh', 'start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  for (const match of printed.matchAll(/^export (PONTOON_TEST_PG_(?:URL|DIR))=(.*)$/gm)) process.env[match[1]] = match[2];
  cluster = process.env.PONTOON_TEST_PG_DIR;
  console.log(`   ${process.env.PONTOON_TEST_PG_URL}`);
}
function stopCluster() {
  if (!cluster) return;
  spawnSync('bash', ['scripts/pg-cluster.sh', 'stop', cluster], { stdio: 'inherit' });
  cluster = undefined;
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopCluster();
    process.exit(1);
  });
}

let failed = [];
try {
  for (const suite of suites) {
    console.log(`\n== ${suite.name}`);
    const run = spawnSync(suite.command, suite.args, { stdio: 'inherit' });
    if (run.status !== 0) failed.push(suite.name);
  }
} finally {
  stopCluster();
}
if (failed.length > 0) {
  console.error(`\nfailed suites: ${failed.join(', ')}`);
  process.exit(1);
}
