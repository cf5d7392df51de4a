import pg from 'pg';
import { clientConfig, quoteIdent, type ConnectionOptions } from './connection.js';

/**
 * One dedicated connection that LISTENs on the store's channel and calls the listeners on every
 * notification. When the connection drops it reconnects with backoff and calls the listeners
 * once, since notifications sent while it was away are gone: a wake-up is only ever a hint.
 */
export class WakeListener {
  private readonly listeners = new Set<() => void>();
  private client: pg.Client | undefined;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;

  /** `isOwn` tells this store's own backends (by pid): their notifications are not a wake-up for it. */
  constructor(
    private readonly options: ConnectionOptions,
    private readonly isOwn: (backendPid: number) => boolean = () => false,
  ) {}

  /** Calls `listener` on every wake-up until the returned function is called. */
  add(listener: () => void): () => void {
    this.listeners.add(listener);
    if (!this.client && !this.connecting && !this.closed) this.connecting = this.connect(0);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the LISTEN is in place (for tests that must not miss the first notification). */
  async ready(): Promise<void> {
    await this.connecting;
  }

  /** Closes the connection; no more wake-ups. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.connecting?.catch(() => {});
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private wakeAll(): void {
    for (const listener of this.listeners) listener();
  }

  private async connect(failures: number): Promise<void> {
    const client = new pg.Client(clientConfig(this.options));
    // This controller learns of its own enqueues and settlements directly; hearing them again cost
    // a dispatcher pass (and its round trips, holding every free slot) after every warm batch.
    client.on('notification', (message) => {
      if (!this.isOwn(message.processId)) this.wakeAll();
    });
    client.on('error', () => this.reconnect(client, 0));
    client.on('end', () => this.reconnect(client, 0));
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(this.options.schema)}`);
    } catch {
      client.removeAllListeners('end');
      await client.end().catch(() => {});
      this.connecting = undefined;
      this.scheduleRetry(failures + 1);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.connecting = undefined;
    if (failures > 0) this.wakeAll();
  }

  private reconnect(client: pg.Client, failures: number): void {
    if (this.closed || this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners('end');
    client.end().catch(() => {});
    this.wakeAll();
    this.scheduleRetry(failures + 1);
  }

  private scheduleRetry(failures: number): void {
    if (this.closed) return;
    const delay = Math.min(5_000, 100 * 2 ** Math.min(failures, 6));
    this.retryTimer = setTimeout(() => {
      this.connecting = this.connect(failures);
    }, delay);
  }
}
