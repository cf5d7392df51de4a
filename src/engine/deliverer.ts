import type { Logger } from 'pino';
import { asError } from '../domain/errors.js';
import type { FunctionVersion } from '../domain/function-spec.js';
import { redactUrlCredentials, redactUrlsInText } from '../domain/url-credentials.js';
import type { Delivery, DeliveryOutcome, Store } from '../store/store.js';
import { completionDeliveries } from '../triggers/completion-events.js';
import { deliveryRequest, nextDeliveryTry, type DeliveryRetry } from '../triggers/delivery-policy.js';
import { Loop } from './loop.js';
import { OutboundRefusedError, type OutboundHttp } from './outbound-http.js';

/** What the deliverer is built from. */
export interface DelivererOptions {
  store: Store;
  logger: Logger;
  clock: () => Date;
  /** Sinks every completion event goes to (`pontoon up --event-sink`). */
  globalSinks: readonly string[];
  retry: DeliveryRetry;
  /** Sends each try, refusing destinations outside the operator's allowance. */
  http: OutboundHttp;
  /** Longest a sink may take to answer one try. */
  timeoutMs: number;
  pollMs: number;
}

/** Executions decided per transaction; the loop goes on while a batch is full. */
const decideBatch = 100;
/** Deliveries sent at once by one pass. */
const sendBatch = 16;

/**
 * Sends completion events, at least once. Each pass first decides the deliveries of every ended
 * execution not yet notified (stored atomically with the notified mark, so a crash at any line
 * loses none), then sends the due ones, each under a claim that lapses if this controller dies
 * mid-send, and records each outcome with its backoff. Level-triggered like every loop.
 */
export class Deliverer {
  private readonly loop: Loop;

  constructor(private readonly options: DelivererOptions) {
    this.loop = new Loop('deliverer', options.pollMs, () => this.pass(), (name, error) => options.logger.error({ err: error }, `${name} pass failed`));
  }

  /** Starts the loop with an immediate pass. */
  start(): void {
    this.loop.start();
  }

  /** Asks for a pass now (an execution ended). */
  wake(): void {
    this.loop.wake();
  }

  /** Stops the loop after the pass under way; unsent deliveries stay pending in the store. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  private async pass(): Promise<void> {
    while ((await this.decide()) === decideBatch);
    const due = await this.options.store.claimDeliveries(this.options.clock().toISOString(), this.options.timeoutMs * 2, sendBatch);
    await Promise.all(due.map((delivery) => this.send(delivery)));
    if (due.length === sendBatch) this.loop.wake();
  }

  private async decide(): Promise<number> {
    const ended = await this.options.store.listUnnotifiedExecutions(decideBatch);
    if (ended.length === 0) return 0;
    const notifications = [];
    // Most ended executions of a batch share a few function versions, which never change.
    const versions = new Map<string, Promise<FunctionVersion | undefined>>();
    for (const execution of ended) {
      const key = `${execution.namespace}/${execution.function}/${execution.version}`;
      let version = versions.get(key);
      if (!version) versions.set(key, (version = this.options.store.getFunction(execution.namespace, execution.function, execution.version)));
      notifications.push({ executionId: execution.id, deliveries: completionDeliveries(execution, await version, this.options.globalSinks) });
    }
    await this.options.store.notifyExecutions(notifications, this.options.clock().toISOString());
    return ended.length;
  }

  private async send(delivery: Delivery): Promise<void> {
    let outcome: DeliveryOutcome;
    // The stored URL keeps its credentials to send with; what is recorded and logged never does.
    const shown = redactUrlCredentials(delivery.url);
    try {
      const { headers, body } = deliveryRequest(delivery.event);
      const response = await this.options.http.post(delivery.url, headers, body, this.options.timeoutMs);
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) outcome = { status: 'delivered', at: this.options.clock().toISOString() };
      else outcome = this.failed(delivery, `${shown} answered ${response.status} ${response.statusText}`);
    } catch (thrown) {
      // A refused destination stays refused: trying again would only delay the recorded failure.
      const refusal = refusalIn(thrown);
      if (refusal) outcome = { status: 'failed', error: `${shown}: ${refusal.message}`, at: this.options.clock().toISOString() };
      else outcome = this.failed(delivery, `${shown}: ${describeFetchError(thrown)}`);
    }
    if (outcome.status === 'failed') this.options.logger.warn({ executionId: delivery.executionId, function: `${delivery.namespace}/${delivery.function}`, delivery: delivery.id, url: shown, error: outcome.error }, 'completion event not delivered: giving up');
    await this.options.store.settleDelivery(delivery.id, outcome);
  }

  private failed(delivery: Delivery, error: string): DeliveryOutcome {
    const now = this.options.clock();
    const next = nextDeliveryTry(delivery.attempts + 1, this.options.retry, now);
    return next ? { status: 'pending', error, nextAttemptAt: next.toISOString() } : { status: 'failed', error, at: now.toISOString() };
  }
}

function describeFetchError(thrown: unknown): string {
  const error = asError(thrown) as Error & { cause?: unknown };
  const cause = error.cause === undefined ? '' : `: ${asError(error.cause).message}`;
  return redactUrlsInText(`${error.message}${cause}`);
}

/** The refusal behind a failed send: fetch wraps what the socket's lookup threw as its cause. */
function refusalIn(thrown: unknown): OutboundRefusedError | undefined {
  for (let error = thrown, depth = 0; error instanceof Error && depth < 4; error = error.cause, depth++) {
    if (error instanceof OutboundRefusedError) return error;
  }
  return undefined;
}
