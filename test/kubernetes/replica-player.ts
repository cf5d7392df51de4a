/**
 * A warm replica as a pod of a pool's Deployment would run it, played by a test: it speaks the
 * replica protocol (docs/warm-replicas.md) to PONTOON_RUNTIME_API with PONTOON_REPLICA_TOKEN, and
 * answers each invocation with `{ doubled: input.n * 2 }` (with PLAYER_HANG=1 it answers none, as a
 * stuck handler). It exits 0 when drained, and after PLAYER_LIMIT_MS in any case (a test's loop is
 * bounded).
 */
const base = `http://${process.env.PONTOON_RUNTIME_API}/v1`;
const headers = { authorization: `Bearer ${process.env.PONTOON_REPLICA_TOKEN}` };
const concurrency = Number(process.env.PONTOON_REPLICA_CONCURRENCY ?? '1');
const until = Date.now() + Number(process.env.PLAYER_LIMIT_MS ?? '60000');

while (Date.now() < until) {
  const answer = await fetch(`${base}/invocations/next?max=${concurrency}&wait=1000`, { headers });
  if (answer.status === 410) process.exit(0);
  if (answer.status === 204) continue;
  if (answer.status !== 200) {
    console.error(`next answered ${answer.status}: ${await answer.text()}`);
    process.exit(1);
  }
  const { invocations } = (await answer.json()) as { invocations: { id: string; input: { n: number } }[] };
  if (process.env.PLAYER_HANG === '1') {
    console.log(`holding ${invocations.length}`);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, until - Date.now())));
    break;
  }
  const results = invocations.map((invocation) => ({ id: invocation.id, status: 'succeeded', result: { doubled: invocation.input.n * 2 } }));
  const posted = await fetch(`${base}/invocations/results`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ results }) });
  console.log(`posted ${results.length}: ${posted.status} ${await posted.text()}`);
}
export {};
