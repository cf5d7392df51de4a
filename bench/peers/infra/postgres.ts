/** A throwaway PostgreSQL cluster (scripts/pg-cluster.sh) with a fresh database per session. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { repoFile } from './paths.js';

/**
 * PostgreSQL's own defaults for durability, which Graphile Worker's users run and which
 * Pontoon's "durable before acknowledged" needs on this store: every commit is flushed to disk
 * before it returns. (The test clusters turn these off; a benchmark must not.)
 */
const durableSettings = '-c fsync=on -c synchronous_commit=on -c full_page_writes=on';

/** A running cluster owned by the benchmark. */
export interface PostgresCluster {
  version: string;
  /** The postmaster's process id: backends, the WAL writer and the checkpointer are its children. */
  pid: number;
  settings: Record<string, string>;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a cluster through scripts/pg-cluster.sh, with PostgreSQL's durable defaults. */
export async function startPostgres(extraSettings = ''): Promise<PostgresCluster> {
  const script = repoFile('scripts/pg-cluster.sh');
  const output = execFileSync('bash', [script, 'start'], {
    encoding: 'utf8',
    env: { ...process.env, PONTOON_PG_SETTINGS: `${durableSettings} ${extraSettings}` },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = /PONTOON_TEST_PG_URL=(\S+)/.exec(output)?.[1];
  const dir = /PONTOON_TEST_PG_DIR=(\S+)/.exec(output)?.[1];
  if (!url || !dir) throw new Error(`pg-cluster.sh start printed no URL: ${output}`);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const version = (await admin.query('SHOW server_version')).rows[0].server_version as string;
  const settings: Record<string, string> = {};
  for (const name of ['fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'max_connections']) {
    settings[name] = (await admin.query(`SHOW ${name}`)).rows[0][name];
  }
  const base = new URL(url);
  return {
    version,
    pid: Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]),
    settings,
    async createDatabase(name) {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${name}`);
      const dbUrl = new URL(base);
      dbUrl.pathname = `/${name}`;
      return dbUrl.toString();
    },
    async dropDatabase(name) {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
    async stop() {
      await admin.end();
      execFileSync('bash', [script, 'stop', dir], { stdio: 'inherit' });
    },
  };
}
