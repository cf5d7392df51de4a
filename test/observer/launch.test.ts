import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { nodeLauncher } from '../../src/observer/launch.js';
import type { LaunchedProgram, Launcher } from '../../src/observer/launched-program.js';
import { decodeWaitStatus, posixSpawnSupported, spawnWithPosixSpawn } from '../../src/observer/posix-spawn.js';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'pontoon-launch-')));
after(() => rmSync(root, { recursive: true, force: true }));

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Events in the order they came. */
  events: string[];
}

/** Runs a launched program to its 'close', collecting its output. */
function ended(program: LaunchedProgram): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const result: Ended = { code: null, signal: null, stdout: '', stderr: '', events: [] };
    program.stdout?.on('data', (chunk: Buffer) => (result.stdout += chunk));
    program.stderr?.on('data', (chunk: Buffer) => (result.stderr += chunk));
    program.on('error', reject);
    program.on('exit', (code, signal) => {
      result.events.push('exit');
      Object.assign(result, { code, signal });
    });
    program.on('close', () => {
      result.events.push('close');
      resolve(result);
    });
  });
}

function failure(program: LaunchedProgram): Promise<NodeJS.ErrnoException> {
  return new Promise((resolve) => program.on('error', resolve));
}

const env = { PATH: process.env.PATH, HOME: root };
const sh = (script: string, launch: Launcher, cwd = root, extraEnv: NodeJS.ProcessEnv = {}) => ended(launch(['/bin/sh', '-c', script], { cwd, env: { ...env, ...extraEnv } }));

const launchers: [string, Launcher][] = [['Node’s spawn', nodeLauncher]];
if (process.platform === 'linux') {
  it('binds posix_spawn on Linux (the launcher every program gets there)', () => assert.equal(posixSpawnSupported(), true));
  launchers.push(['posix_spawn', spawnWithPosixSpawn]);
}

for (const [name, launch] of launchers) {
  describe(`launching a program with ${name}`, () => {
    it('gives its exit code, then closes once both pipes are drained', async () => {
      const run = await sh('echo out; echo err >&2; exit 3', launch);
      assert.deepEqual(run, { code: 3, signal: null, stdout: 'out\n', stderr: 'err\n', events: ['exit', 'close'] });
    });

    it('names the signal that ended it', async () => {
      const run = await sh('kill -USR1 $$', launch);
      assert.equal(run.code, null);
      assert.equal(run.signal, 'SIGUSR1');
    });

    it('makes it the leader of a new session and process group', async () => {
      const program = launch(['/bin/sh', '-c', 'cut -d" " -f1,5,6 /proc/$$/stat'], { cwd: root, env });
      const run = await ended(program);
      assert.equal(run.stdout.trim(), `${program.pid} ${program.pid} ${program.pid}`);
    });

    it('starts it in its working directory, with its environment only, stdin empty', async () => {
      const run = await sh('pwd; echo "$GREETING"; env | grep -c PONTOON_LAUNCH_TEST; cat; echo end', launch, root, { GREETING: 'hello there' });
      assert.equal(run.stdout, `${root}\nhello there\n0\nend\n`);
    });

    it('resets the standard signals to their defaults and blocks none, though Node ignores SIGPIPE', async () => {
      // grep reads its own status: the shell's own mask is all-blocked while it forks.
      const run = await ended(launch(['/bin/grep', '-E', '^Sig(Ign|Blk)', '/proc/self/status'], { cwd: root, env }));
      const [blocked, ignored] = [...run.stdout.matchAll(/^Sig\w+:\t([0-9a-f]+)$/gm)].map((match) => BigInt(`0x${match[1]}`));
      assert.equal(blocked, 0n);
      // Signals 1-31 only: glibc's posix_spawn leaves its two internal real-time signals (32, 33)
      // ignored in the child when the parent handles them, as for every program it starts.
      assert.equal(ignored & 0x7fffffffn, 0n);
    });

    it('looks the program up on its own PATH, not on this process’s', async () => {
      const bin = mkdtempSync(join(root, 'bin-'));
      writeFileSync(join(bin, 'pontoon-probe'), '#!/bin/sh\necho probed "$@"\n');
      chmodSync(join(bin, 'pontoon-probe'), 0o755);
      const run = await ended(launch(['pontoon-probe', 'a b'], { cwd: root, env: { PATH: `${bin}:/usr/bin:/bin` } }));
      assert.equal(run.stdout, 'probed a b\n');
    });

    it('fails with ENOENT for a program that is nowhere, and with no pid', async () => {
      const program = launch(['pontoon-no-such-program'], { cwd: root, env });
      assert.equal(program.pid, undefined);
      assert.equal((await failure(program)).code, 'ENOENT');
    });

    it('fails with ENOENT for a name that is not on its PATH, though a file of that name is in its working directory', async () => {
      const cwd = mkdtempSync(join(root, 'cwd-'));
      writeFileSync(join(cwd, 'pontoon-local-only'), '#!/bin/sh\necho ran\n');
      chmodSync(join(cwd, 'pontoon-local-only'), 0o755);
      const program = launch(['pontoon-local-only'], { cwd, env: { PATH: '/usr/bin:/bin' } });
      assert.equal((await failure(program)).code, 'ENOENT');
    });

    it('fails with EACCES for a file that is not executable', async () => {
      writeFileSync(join(root, 'not-executable'), 'echo no\n');
      const program = launch([join(root, 'not-executable')], { cwd: root, env });
      assert.equal((await failure(program)).code, 'EACCES');
    });

    it('fails with ENOENT for a working directory that does not exist', async () => {
      const program = launch(['/bin/true'], { cwd: join(root, 'missing'), env });
      assert.equal((await failure(program)).code, 'ENOENT');
    });

    it('runs many at once, each reaped once with its own exit code', async () => {
      const runs = await Promise.all(Array.from({ length: 40 }, (_, index) => sh(`exit ${index}`, launch)));
      assert.deepEqual(
        runs.map((run) => run.code),
        Array.from({ length: 40 }, (_, index) => index),
      );
    });
  });
}

describe('decoding a wait status', () => {
  it('reads exit codes and signals, and neither when the status is lost', () => {
    assert.deepEqual(decodeWaitStatus(0), { code: 0, signal: null });
    assert.deepEqual(decodeWaitStatus(42 << 8), { code: 42, signal: null });
    assert.deepEqual(decodeWaitStatus(9), { code: null, signal: 'SIGKILL' });
    assert.deepEqual(decodeWaitStatus(15 | 0x80), { code: null, signal: 'SIGTERM' });
    assert.deepEqual(decodeWaitStatus(undefined), { code: null, signal: null });
  });
});
