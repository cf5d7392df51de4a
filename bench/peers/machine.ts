/** The machine and software a run measured, for the report. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { repoFile } from './infra/paths.js';

/** Facts about the machine and the versions under test. */
export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  loadAverageAtStart: string;
  node: string;
  pontoonCommit: string;
  packages: Record<string, string>;
}

/** Reads the machine's facts and the installed versions of the peers. */
export function describeMachine(): Machine {
  const packages: Record<string, string> = {};
  for (const name of ['bullmq', 'ioredis', 'graphile-worker', 'pg', 'better-sqlite3']) {
    try {
      packages[name] = JSON.parse(readFileSync(repoFile(`node_modules/${name}/package.json`), 'utf8')).version;
    } catch {
      packages[name] = 'not installed';
    }
  }
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['-C', repoFile(''), 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // Not a git checkout (a tarball): the version in package.json still says what ran.
  }
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    loadAverageAtStart: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    node: process.version,
    pontoonCommit: commit,
    packages,
  };
}
