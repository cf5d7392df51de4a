import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { laneSlots } from '../src/replica.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'fixture.js');

/** One request the stand-in runtime API holds until the test answers it. */
interface Held {
  method: string;
  url: string;
  body: string;
  answer: (status: number, body?: unknown) => void;
}

/** A stand-in for Pontoon's runtime API: every request is held for the test to answer. */
async function standInApi() {
  const held: Held[] = [];
  const seen: Held[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry: Held = {
        method: request.method ?? '',
        url: request.url ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
        answer: (status, body) => {
          if (body === undefined) response.writeHead(status).end();
          else response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        },
      };
      seen.push(entry);
      held.push(entry);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  /** Waits (bounded) until `count` requests are held at once, and takes them. */
  const heldAtOnce = async (count: number): Promise<Held[]> => {
    for (let waited = 0; waited < 10_000 && held.length < count; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(held.length, count, `requests outstanding at once: ${held.map((entry) => `${entry.method} ${entry.url}`).join(', ')}`);
    return held.splice(0);
  };
  return { address: `127.0.0.1:${port}`, seen, heldAtOnce, close: () => server.close() };
}

const invocation = (id: string) => ({ id, executionId: id, attempt: 1, deadline: new Date(Date.now() + 60_000).toISOString(), input: { id } });
const postedIds = (entry: Held) => (JSON.parse(entry.body) as { results: { id: string; result: { id: string } }[] }).results.map((result) => result.id).sort();

/** The fixture's echo handler as a replica of the stand-in API (killed, and the API closed, after the test). */
function echoReplica(t: TestContext, api: { address: string; close(): void }, env: Record<string, string>, mode = 'echo') {
  const child = spawn(process.execPath, [fixture, mode], {
    env: { PATH: process.env.PATH, PONTOON_RUNTIME_API: api.address, PONTOON_REPLICA_TOKEN: 'secret', PONTOON_REPLICA_PROTOCOL: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');
  t.after(() => {
    child.kill('SIGKILL');
    api.close();
  });
  return { exited, stdout: () => stdout, stderr: () => stderr };
}

describe('a replica with PONTOON_REPLICA_PREFETCH', () => {
  it('asks for its slots and its prefetch, runs no more than its slots at once, and posts them all', async (t) => {
    const api = await standInApi();
    const replica = echoReplica(t, api, { PONTOON_REPLICA_CONCURRENCY: '1', PONTOON_REPLICA_PREFETCH: '3' }, 'busy');
    const [poll] = await api.heldAtOnce(1);
    assert.equal(`${poll.method} ${poll.url}`, 'GET /v1/invocations/next?max=4&wait=20000');
    poll.answer(200, { invocations: ['p1', 'p2', 'p3', 'p4'].map(invocation) });
    // Drained at the first post: the three still held run all the same, one at a time.
    const results = new Map<string, { atOnce: number }>();
    while (results.size < 4) {
      const [post] = await api.heldAtOnce(1);
      assert.equal(post.method, 'POST');
      for (const result of (JSON.parse(post.body) as { results: { id: string; result: { atOnce: number } }[] }).results) results.set(result.id, result.result);
      post.answer(200, { accepted: postedIds(post), rejected: [], invocations: [], draining: true });
    }
    assert.deepEqual([...results.keys()].sort(), ['p1', 'p2', 'p3', 'p4']);
    assert.ok([...results.values()].every((result) => result.atOnce === 1), JSON.stringify([...results]));
    const [code] = await replica.exited;
    assert.equal(code, 0, replica.stderr());
  });

  it('asks for its slots alone without it', async (t) => {
    const api = await standInApi();
    echoReplica(t, api, { PONTOON_REPLICA_CONCURRENCY: '1' }, 'busy');
    const [poll] = await api.heldAtOnce(1);
    assert.equal(poll.url, '/v1/invocations/next?max=1&wait=20000');
  });
});

describe('a replica in two lanes', () => {
  it('splits its slots evenly into at most one lane per slot: two lanes from 8 slots unless PONTOON_REPLICA_LANES says otherwise', () => {
    assert.deepEqual(laneSlots(8, {}), [4, 4]);
    assert.deepEqual(laneSlots(7, {}), [7]);
    assert.deepEqual(laneSlots(16, {}), [8, 8]);
    assert.deepEqual(laneSlots(8, { PONTOON_REPLICA_LANES: '1' }), [8]);
    assert.deepEqual(laneSlots(8, { PONTOON_REPLICA_LANES: '2' }), [4, 4]);
    assert.deepEqual(laneSlots(5, { PONTOON_REPLICA_LANES: '2' }), [3, 2]);
    assert.deepEqual(laneSlots(1, { PONTOON_REPLICA_LANES: '2' }), [1]);
    assert.deepEqual(laneSlots(4, { PONTOON_REPLICA_LANES: 'two' }), [4]);
  });

  it('keeps two requests outstanding at once, each lane posting its own results once (again after a 5xx), and exits 0 when drained', async (t) => {
    const api = await standInApi();
    const replica = echoReplica(t, api, { PONTOON_REPLICA_CONCURRENCY: '4', PONTOON_REPLICA_LANES: '2' });

    // The first lane asks for its half of the 4 slots; the second waits until an answer fills the first.
    const [first] = await api.heldAtOnce(1);
    assert.equal(`${first.method} ${first.url}`, 'GET /v1/invocations/next?max=2&wait=20000');
    first.answer(200, { invocations: [invocation('a1'), invocation('a2')] });
    // Filled (work may be queued beyond it), the first lane posts its results and the second asks for its half.
    const afterFirst = await api.heldAtOnce(2);
    const second = afterFirst.find((entry) => entry.method === 'GET')!;
    assert.equal(second?.url, '/v1/invocations/next?max=2&wait=20000');
    second.answer(200, { invocations: [invocation('b1'), invocation('b2')] });

    // Each lane posts its own two results, both posts outstanding at once; one is refused with a
    // 503 and comes again with the same body while the other is still outstanding.
    const posts = [afterFirst.find((entry) => entry.method === 'POST')!, ...(await api.heldAtOnce(1))];
    assert.ok(posts.every((post) => post.method === 'POST' && post.url === '/v1/invocations/results?next=2'), posts.map((post) => post.url).join(', '));
    assert.deepEqual(posts.map(postedIds).sort((x, y) => x[0].localeCompare(y[0])), [['a1', 'a2'], ['b1', 'b2']]);
    const [refused, other] = posts;
    refused.answer(503, { error: { code: 'UNAVAILABLE', message: 'try again', details: {} } });
    const [retry] = await api.heldAtOnce(1);
    assert.equal(retry.url, refused.url);
    assert.equal(retry.body, refused.body);
    for (const post of [retry, other]) {
      const results = (JSON.parse(post.body) as { results: { id: string; status: string; result: { id: string } }[] }).results;
      for (const result of results) assert.deepEqual(result, { id: result.id, status: 'succeeded', result: { id: result.id } });
      post.answer(200, { accepted: postedIds(post), rejected: [], invocations: [], draining: true });
    }

    const [code] = await replica.exited;
    assert.equal(code, 0, replica.stderr());
    // Every request it made: two polls, the refused post, then one post per lane; nothing after the drain.
    assert.equal(api.seen.length, 5);
    // Each invocation's log line carries its own tag, whatever ran beside it.
    for (const id of ['a1', 'a2', 'b1', 'b2']) assert.match(replica.stdout(), new RegExp(`^\u001e${id} \\[INFO\\] echo \\{"id":"${id}"\\}$`, 'm'));
  });

  it('posts the quick invocations of a short answer in its next post instead of asking for the rest of its slots meanwhile', async (t) => {
    const api = await standInApi();
    const replica = echoReplica(t, api, { PONTOON_REPLICA_CONCURRENCY: '2', PONTOON_REPLICA_LANES: '1' });

    const [poll] = await api.heldAtOnce(1);
    poll.answer(200, { invocations: [invocation('a1'), invocation('a2')] });
    const [firstPost] = await api.heldAtOnce(1);
    assert.equal(firstPost.url, '/v1/invocations/results?next=2');
    // Fewer than asked: b1 finishes at once, so the lane's one request is the post of it, asking
    // for both slots again; a long poll for the other slot would leave the lane in two halves.
    firstPost.answer(200, { accepted: ['a1', 'a2'], rejected: [], invocations: [invocation('b1')], draining: false });
    const [secondPost] = await api.heldAtOnce(1);
    assert.equal(`${secondPost.method} ${secondPost.url}`, 'POST /v1/invocations/results?next=2');
    assert.deepEqual(postedIds(secondPost), ['b1']);
    secondPost.answer(200, { accepted: ['b1'], rejected: [], invocations: [], draining: true });

    const [code] = await replica.exited;
    assert.equal(code, 0, replica.stderr());
    assert.equal(api.seen.length, 3);
  });
});
