/**
 * Issue 16, cold path on PostgreSQL: which statements each execution costs. Runs N no-op
 * executions (`true`, parallelism 8) through `pontoon up --store postgres://…` on a throwaway
 * cluster with pg_stat_statements, and prints the statements' calls per execution (BEGIN and
 * COMMIT included: each is a round trip), and the commits per execution.
 *   node dist/bench/pg-round-trips.js [count] [extra PostgreSQL options]
 * The status polls of this script show up too (the `count` lines); they are not the engine's.
 */
import pg from 'pg';
import { startPostgres } from './peers/infra/postgres.js';
import { deployCommand, enqueue, pending, sleep, startBenchServer } from './lib/server.js';

const count = Number(process.argv[2] ?? 1000);
const extra = process.argv[3] ?? '';

const cluster = await startPostgres(`-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all ${extra}`);
try {
  const url = await cluster.createDatabase('round_trips');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('CREATE EXTENSION pg_stat_statements');
  const server = await startBenchServer(['--capacity', '8', '--store', url]);
  try {
    await deployCommand(server, 'noop', ['true'], { parallelism: 8 });
    const drain = async (total: number) => {
      const start = Date.now();
      await enqueue(server, 'noop', total);
      for (;;) {
        const left = await pending(server, 'noop');
        if (left.queued + left.running === 0) return (Date.now() - start) / 1000;
        await sleep(200);
      }
    };
    await drain(200);
    await client.query('SELECT pg_stat_statements_reset()');
    const commitsBefore = (await client.query("SELECT xact_commit::int AS n FROM pg_stat_database WHERE datname = 'round_trips'")).rows[0].n;
    const seconds = await drain(count);
    const commitsAfter = (await client.query("SELECT xact_commit::int AS n FROM pg_stat_database WHERE datname = 'round_trips'")).rows[0].n;
    const { rows } = await client.query<{ calls: number; ms: number; query: string }>(
      `SELECT calls::int, total_exec_time AS ms, regexp_replace(query, '\\s+', ' ', 'g') AS query FROM pg_stat_statements s
       JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = 'round_trips' AND query NOT LIKE '%pg_stat_%' ORDER BY calls DESC`,
    );
    let total = 0;
    console.log(`${count} executions in ${seconds.toFixed(1)} s (${(count / seconds).toFixed(0)}/s); commits per execution ${((commitsAfter - commitsBefore) / count).toFixed(2)}`);
    console.log('calls/exec  ms/exec  statement');
    for (const row of rows) {
      total += row.calls;
      console.log(`${(row.calls / count).toFixed(2).padStart(9)}  ${(row.ms / count).toFixed(3).padStart(7)}  ${row.query.slice(0, 150)}`);
    }
    console.log(`${(total / count).toFixed(2).padStart(9)}  statements per execution in all`);
  } finally {
    await server.stop();
    await client.end();
  }
} finally {
  await cluster.stop();
}
