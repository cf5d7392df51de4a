// The warm replica side of the replica protocol (docs/warm-replicas.md in the Pontoon repo): the
// same handler, called for many invocations in one process. Loaded only when the process is
// started as a replica (PONTOON_RUNTIME_API is set), so an on-demand start never reads it.
import { Context, Logger, invokeValue, messageOf, type Handler, type Outcome, type Parse } from './index.js';

const http = process.getBuiltinModule('node:http') as typeof import('node:http');

/** The variables a replica is started with. */
export const REPLICA_ENV = {
  runtimeApi: 'PONTOON_RUNTIME_API',
  token: 'PONTOON_REPLICA_TOKEN',
  concurrency: 'PONTOON_REPLICA_CONCURRENCY',
  prefetch: 'PONTOON_REPLICA_PREFETCH',
  protocol: 'PONTOON_REPLICA_PROTOCOL',
} as const;

/** The protocol version this SDK speaks. */
export const REPLICA_PROTOCOL = 1;

/** Most invocations one request may ask for: more is a 400 (a lane of 1000 slots and prefetch reaches it). */
const MAX_BATCH = 1000;

/** One invocation as `next` hands it over. */
interface Invocation {
  id: string;
  executionId: string;
  attempt: number;
  deadline: string;
  input: unknown;
  /** The W3C trace context of the invocation's attempt span, when its execution has a trace. */
  traceparent?: string;
  tracestate?: string;
}


interface Answer {
  status: number;
  body: unknown;
}

/** Thrown for an answer the protocol says to give up on (400, 401, 404, 405). */
class FatalAnswer extends Error {}

const tagByte = '\u001e';

/**
 * A logger whose every line carries the invocation's tag, so that Pontoon keeps it with that
 * invocation's attempt whatever else runs in the process at the same time.
 */
function taggedLogger(id: string): Logger {
  const tag = (text: string) =>
    text
      .split('\n')
      .filter((line, index, all) => line !== '' || index < all.length - 1)
      .map((line) => `${tagByte}${id} ${line}\n`)
      .join('');
  return new Logger(
    (text) => process.stdout.write(tag(text)),
    (text) => process.stderr.write(tag(text)),
  );
}

/** The runtime API client of one replica: keep-alive connections, the token on every request. */
class RuntimeClient {
  // noDelay: a small request must not wait for the previous one's ACK (Nagle's algorithm).
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 4, noDelay: true } as import('node:http').AgentOptions);
  private readonly host: string;
  private readonly port: number;

  constructor(
    address: string,
    private readonly token: string,
  ) {
    const colon = address.lastIndexOf(':');
    this.host = address.slice(0, colon);
    this.port = Number(address.slice(colon + 1));
  }

  /** One request (`body` already JSON text); retried after 5xx or a broken connection for up to 30 s, as the protocol says. */
  async send(method: 'GET' | 'POST', path: string, body?: string): Promise<Answer> {
    const giveUpAt = Date.now() + 30_000;
    for (let delay = 100; ; delay = Math.min(5000, delay * 2)) {
      let answer: Answer | undefined;
      let failure: unknown;
      try {
        answer = await this.once(method, path, body);
      } catch (err) {
        failure = err;
      }
      if (answer && answer.status < 500) {
        if ([400, 401, 404, 405].includes(answer.status)) throw new FatalAnswer(`runtime API answered ${answer.status} to ${method} ${path}: ${JSON.stringify(answer.body)}`);
        return answer;
      }
      if (Date.now() + delay > giveUpAt) throw new Error(`runtime API unreachable: ${answer ? `status ${answer.status}` : messageOf(failure)}`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  private once(method: string, path: string, payload: string | undefined): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { authorization: `Bearer ${this.token}` };
      if (payload !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(payload);
      }
      const request = http.request({ host: this.host, port: this.port, method, path, headers, agent: this.agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = null;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            parsed = text;
          }
          resolve({ status: response.statusCode ?? 0, body: parsed });
        });
        response.on('error', reject);
      });
      request.on('error', reject);
      request.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Options of {@link serveReplica}. */
export interface ReplicaOptions<I> {
  parse?: Parse<I>;
  env?: Record<string, string | undefined>;
}

/** The SDK's own setting (not the protocol's): how many post cycles share the replica's slots. */
export const LANES_ENV = 'PONTOON_REPLICA_LANES';

/**
 * A share of the replica's slots with a post cycle of its own: its invocations' outcomes are
 * posted by it, and what its posts and long polls hand over is its to run. With two lanes one
 * lane's batch runs (or waits in its post) while the server settles and claims the other's.
 */
interface Lane {
  slots: number;
  /** What it may hold beyond its slots: invocations claimed ahead, run as slots free. */
  prefetch: number;
  /** Handed over to this lane and not yet answered by an accepted results post. */
  held: number;
  /** Handlers running now (at most `slots`). */
  running: number;
  /** Handed over and waiting for a slot, oldest first. */
  waiting: Invocation[];
  /** Outcomes to post, each already the JSON text of one entry of `results`. */
  outbox: string[];
  posting: boolean;
  /** Its latest answer brought every slot it asked for: work is queued beyond what it holds. */
  backlogged: boolean;
}

/**
 * Slots from which a replica runs two lanes when PONTOON_REPLICA_LANES is unset: with fewer, a
 * lane's batch is too small for the overlap to pay for its round trips (docs/warm-replicas.md).
 */
export const TWO_LANES_FROM = 8;

/**
 * The lanes for `concurrency` slots: PONTOON_REPLICA_LANES of them (when unset, two from
 * TWO_LANES_FROM slots, else one), at most one per slot, the slots split evenly.
 */
export function laneSlots(concurrency: number, env: Record<string, string | undefined>): number[] {
  const asked = Number.parseInt(env[LANES_ENV] ?? '', 10);
  const fallback = concurrency >= TWO_LANES_FROM ? 2 : 1;
  return splitEvenly(concurrency, Math.min(concurrency, Number.isInteger(asked) && asked > 0 ? asked : fallback));
}

/** `total` in `count` shares that differ by at most one, the larger first. */
export function splitEvenly(total: number, count: number): number[] {
  return Array.from({ length: count }, (_, index) => Math.floor(total / count) + (index < total % count ? 1 : 0));
}

/**
 * Serves a handler as a warm replica: asks for as many invocations as it has free slots (and
 * PONTOON_REPLICA_PREFETCH more, which wait for a slot), runs them concurrently up to
 * PONTOON_REPLICA_CONCURRENCY, posts their outcomes in batches (whatever
 * finished while the previous post was under way goes in the next), and on 410 finishes what it
 * has, posts it and exits 0. Exits 1 when the runtime API refuses it or stays unreachable.
 */
export async function serveReplica<I, O>(handler: Handler<I, O>, options: ReplicaOptions<I> = {}): Promise<never> {
  const env = options.env ?? process.env;
  const client = new RuntimeClient(env[REPLICA_ENV.runtimeApi] ?? '', env[REPLICA_ENV.token] ?? '');
  const protocol = env[REPLICA_ENV.protocol];
  if (protocol !== String(REPLICA_PROTOCOL)) {
    return initFailed(client, `this SDK speaks replica protocol ${REPLICA_PROTOCOL}, not ${protocol ?? '(unset)'}`);
  }
  const concurrency = Math.max(1, Number.parseInt(env[REPLICA_ENV.concurrency] ?? '1', 10) || 1);
  const identity = { function: env.PONTOON_FUNCTION ?? '', namespace: env.PONTOON_NAMESPACE ?? '', version: env.PONTOON_VERSION ?? '' };
  const slots = laneSlots(concurrency, env);
  const prefetch = splitEvenly(Math.max(0, Number.parseInt(env[REPLICA_ENV.prefetch] ?? '0', 10) || 0), slots.length);
  const lanes: Lane[] = slots.map((count, index) => ({ slots: count, prefetch: prefetch[index], held: 0, running: 0, waiting: [], outbox: [], posting: false, backlogged: false }));

  let draining = false;
  let fatal: unknown;
  let waiting: (() => void)[] = [];
  const signal = () => {
    const woken = waiting;
    waiting = [];
    for (const wake of woken) wake();
  };
  const nextChange = () => new Promise<void>((resolve) => waiting.push(resolve));
  const failed = (err: unknown) => {
    fatal ??= err;
    signal();
  };

  const start = (lane: Lane, invocations: Invocation[], asked: number) => {
    lane.held += invocations.length;
    for (const invocation of invocations) {
      if (lane.running < lane.slots) void run(lane, invocation);
      else lane.waiting.push(invocation);
    }
    // A full answer may let the next lane start asking (see serveLane).
    const backlogged = asked > 0 && invocations.length >= asked;
    if (backlogged !== lane.backlogged) {
      lane.backlogged = backlogged;
      signal();
    }
  };
  // Posts what finished, asking in the same request for as many invocations as the post frees
  // (without waiting): under load one round trip per batch, where a separate `next` would be two.
  const post = async (lane: Lane): Promise<void> => {
    while (lane.outbox.length > 0 && fatal === undefined) {
      const batch = lane.outbox.slice(0, 1000);
      lane.outbox = lane.outbox.slice(batch.length);
      // A lane's long poll and post can both hand it work, so it may hold more than its share for a while.
      const free = draining ? 0 : Math.min(MAX_BATCH, Math.max(0, lane.slots + lane.prefetch - lane.held + batch.length));
      try {
        const answer = await client.send('POST', `/v1/invocations/results?next=${free}`, `{"results":[${batch.join(',')}]}`);
        lane.held -= batch.length;
        const body = answer.body as { invocations?: Invocation[]; draining?: boolean };
        if (body.draining) draining = true;
        const handed = body.invocations ?? [];
        start(lane, handed, free);
        // Still posting for one turn, so that what finishes at once goes in the next post rather
        // than the lane's long poll asking for its slots meanwhile: a lane that once got a short
        // answer would otherwise run as two half batches for good, each a store step of its own
        // (bench:peers burn-down, 8 slots: posts of 2 on average; 2,491-2,626 -> 3,415-3,711/s).
        if (handed.length > 0) await new Promise((resolve) => setImmediate(resolve));
      } catch (err) {
        fatal ??= err;
      }
    }
    lane.posting = false;
    signal();
  };
  // Outcomes that finish in the same turn of the event loop (a batch of quick handlers) go in one
  // post: the post starts on the next turn, not with the first outcome.
  const finished = (lane: Lane, result: string) => {
    lane.outbox.push(result);
    if (lane.posting) return;
    lane.posting = true;
    setImmediate(() => void post(lane));
  };
  const run = async (lane: Lane, invocation: Invocation) => {
    lane.running += 1;
    const ctx = new Context({ executionId: invocation.executionId, attempt: invocation.attempt, ...identity, deadline: new Date(invocation.deadline), traceparent: invocation.traceparent, tracestate: invocation.tracestate, logger: taggedLogger(invocation.id) });
    const outcome: Outcome = await invokeValue(handler, invocation.input, ctx, options.parse);
    // The result is JSON text already (the handler's value, serialized once): spliced in, not parsed again.
    const id = JSON.stringify(invocation.id);
    lane.running -= 1;
    const queued = lane.waiting.shift();
    if (queued) void run(lane, queued);
    finished(lane, outcome.ok ? `{"id":${id},"status":"succeeded","result":${outcome.output}}` : `{"id":${id},"status":"failed","error":${JSON.stringify(outcome.error || 'failed')}}`);
  };
  // The long poll of one lane: asks for its free slots whenever no post of its own is under way to
  // fill them. A lane after the first asks only while the one before it is backlogged (its latest
  // answer filled every slot it asked for): at a steady arrival rate one lane's small batches
  // serve, and a second post cycle would only add requests and claims (peers open loop at
  // 1,000/s: p99 27-59 ms with one lane, 164-211 ms with two always asking); under a backlog the
  // lanes start in turn and all of them post.
  const serveLane = async (lane: Lane, before: Lane | undefined) => {
    while (fatal === undefined && !draining) {
      const free = Math.min(MAX_BATCH, lane.slots + lane.prefetch - lane.held);
      if (free <= 0 || lane.posting || (before !== undefined && !before.backlogged)) {
        await nextChange();
        continue;
      }
      const answer = await client.send('GET', `/v1/invocations/next?max=${free}&wait=20000`);
      if (answer.status === 410) {
        draining = true;
        signal();
      } else if (answer.status === 200) start(lane, (answer.body as { invocations: Invocation[] }).invocations, free);
    }
    while ((lane.held > 0 || lane.posting) && fatal === undefined) await nextChange();
  };

  let serving = lanes.length;
  for (const [index, lane] of lanes.entries()) {
    serveLane(lane, lanes[index - 1]).then(() => {
      serving -= 1;
      signal();
    }, failed);
  }
  // A fatal answer to one lane ends the replica without waiting for the other's long poll.
  while (serving > 0 && fatal === undefined) await nextChange();
  client.close();
  if (fatal !== undefined) {
    process.stderr.write(`pontoon replica: ${messageOf(fatal)}\n`);
    process.exit(1);
  }
  process.exit(0);
}

/** Reports why the replica cannot start, then exits 1. */
async function initFailed(client: RuntimeClient | undefined, message: string): Promise<never> {
  process.stderr.write(`pontoon replica: ${message}\n`);
  try {
    await client?.send('POST', '/v1/init/error', JSON.stringify({ error: message }));
  } catch {
    // Pontoon keeps the last stderr line as the reason anyway.
  }
  process.exit(1);
}

/** The init error reporter over this process's environment, for a handler that fails to load. */
export function initFailedFromEnv(message: string, env: Record<string, string | undefined> = process.env): Promise<never> {
  return initFailed(new RuntimeClient(env[REPLICA_ENV.runtimeApi] ?? '', env[REPLICA_ENV.token] ?? ''), message);
}
