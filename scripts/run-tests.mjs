#!/usr/bin/env node
// Runs the whole test suite: the compiled TypeScript tests with node's test runner, then each
// SDK's own suite with its own tool. Exits non-zero if any part fails.
import { spawnSync } from 'node:child_process';
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
const suites = [
  {
    name: 'node',
    command: process.execPath,
    args: ['--test', '--test-concurrency=2', '--test-timeout=300000', ...files],
  },
];
for (const extra of ['sdk/run-tests.sh']) {
  if (only.length === 0 && existsSync(extra)) suites.push({ name: extra, command: 'bash', args: [extra] });
}

let failed = [];
for (const suite of suites) {
  console.log(`\n== ${suite.name}`);
  const run = spawnSync(suite.command, suite.args, { stdio: 'inherit' });
  if (run.status !== 0) failed.push(suite.name);
}
if (failed.length > 0) {
  console.error(`\nfailed suites: ${failed.join(', ')}`);
  process.exit(1);
}
