import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { repoRoot } from '../helpers/pontoon.js';
import { cliMain } from './run-cli.js';

const isRoot = process.geteuid?.() === 0;
const nobody = 65534;
const dir = mkdtempSync(join(tmpdir(), 'pontoon-up-run-as-'));
chmodSync(dir, 0o755);

/** Whether every directory from / down to `path` lets other users through. */
function openToOthers(path: string): boolean {
  for (let at = path; ; at = dirname(at)) {
    if ((statSync(at).mode & 0o001) === 0) return false;
    if (at === dirname(at)) return true;
  }
}

/**
 * The CLI as another user can load it: this checkout's, or, when the checkout lies under a
 * directory closed to others (a fresh clone under a 0700 temp dir), a hard-linked copy of what
 * `pontoon up` loads (dist, node_modules, package.json) in the test's open directory.
 */
function cliForOthers(): string {
  if (openToOthers(repoRoot)) return cliMain;
  const copy = join(dir, 'checkout');
  const main = join(copy, relative(repoRoot, cliMain));
  if (existsSync(main)) return main;
  mkdirSync(copy, { recursive: true });
  for (const part of ['dist', 'node_modules', 'package.json']) execFileSync('cp', ['-al', join(repoRoot, part), copy]);
  return main;
}

/** Runs `pontoon up` until `done` matches what it printed (then stops it), or until it exits. */
function up(args: string[], done: RegExp, as?: number): Promise<{ output: string; code: number | null }> {
  const child = spawn(process.execPath, [as === undefined ? cliMain : cliForOthers(), 'up', '--port', '0', '--log-format', 'json', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(as === undefined ? {} : { uid: as, gid: as }),
  });
  let output = '';
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (done.test(output)) child.kill('SIGTERM');
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(killer);
      resolve({ output, code });
    });
  });
}

describe('pontoon up says who functions run as', { skip: isRoot ? false : 'needs root to start a server as root and as another user' }, () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('as root with no --run-as: dynamic users, one uid per attempt or replica', async () => {
    const { output } = await up(['--data-dir', join(dir, 'root')], /Pontoon is up/);
    assert.match(output, /"msg":"functions run as dynamic users, one uid per attempt or replica from 1879048192-1879113727"/);
  });

  it('as root with --run-as nobody: that user', async () => {
    const { output } = await up(['--data-dir', join(dir, 'fixed'), '--run-as', 'nobody'], /Pontoon is up/);
    assert.match(output, /"msg":"functions run as nobody 65534:65534"/);
  });

  it('as another user: as that user, and it says functions can read what it can', async () => {
    const data = join(dir, 'nobody');
    mkdirSync(data);
    chownSync(data, nobody, nobody);
    const { output } = await up(['--data-dir', data], /Pontoon is up/, nobody);
    assert.match(output, /local functions run as the server's user \(uid 65534\): only a server running as root can run them as other users/);
  });

  it('as another user, refuses --run-as dynamic with why', async () => {
    const data = join(dir, 'refused');
    mkdirSync(data);
    chownSync(data, nobody, nobody);
    const { output, code } = await up(['--data-dir', data, '--run-as', 'dynamic'], /Pontoon is up/, nobody);
    assert.notEqual(code, 0);
    assert.match(output, /runAs dynamic needs a server running as root \(this one is uid 65534\)/);
  });
});
