import pg from 'pg';
import { asError } from '../../domain/errors.js';
import { LeadingFlag } from '../../domain/leading-flag.js';
import { clientConfig, lockClass, type ConnectionOptions } from './connection.js';

/** How a controller campaigns for leadership of one PostgreSQL store. */
export interface LeaderLockOptions extends ConnectionOptions {
  /** Shows in pg_stat_activity.application_name of the lock's connection, so operators (and tests) can see who leads. */
  name: string;
  /** How often a follower tries the lock and the leader checks its connection. Default 500 ms. */
  checkMs?: number;
  onError?: (error: Error) => void;
}

/**
 * Leader election with a session-level advisory lock held on a dedicated connection. PostgreSQL
 * releases a session lock the moment the session ends, and a kill -9 of the leader closes its
 * socket, so the lock is free at once; followers try it every `checkMs` (pg_try_advisory_lock
 * never blocks, so stopping a follower never waits for a lock) and one of them takes over within
 * that interval. A leader whose connection fails or stops answering steps down at once, before
 * the server notices, so two controllers believe they lead only for the time the server takes to
 * drop a half-open connection (TCP keepalive); everything the leader does (reaping, ticks) must
 * therefore stay idempotent, which fenced settlements are.
 */
export class LeaderLock {
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private checking: Promise<void> = Promise.resolve();
  private readonly leading = new LeadingFlag();

  constructor(private readonly options: LeaderLockOptions) {}

  /** True while this controller holds the lock. */
  isLeader(): boolean {
    return this.leading.isLeader();
  }

  /** Calls `listener` whenever this controller gains or loses leadership. */
  onChange(listener: (leading: boolean) => void): () => void {
    return this.leading.onChange(listener);
  }

  /** Starts campaigning: tries at once, then every checkMs. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Steps down and closes the connection, which releases the lock for the others. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.checking;
    this.leading.set(false);
    await this.dropClient();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.checking = this.check().finally(() => this.schedule(this.options.checkMs ?? 500));
    }, delayMs);
  }

  private async check(): Promise<void> {
    try {
      const client = await this.connection();
      if (this.leading.isLeader()) {
        await client.query('SELECT 1');
        return;
      }
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [
        lockClass.leader,
        this.options.schema,
      ]);
      if (!this.stopped) this.leading.set(rows[0].locked);
    } catch (thrown) {
      this.options.onError?.(asError(thrown));
      this.leading.set(false);
      await this.dropClient();
    }
  }

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    const checkMs = this.options.checkMs ?? 500;
    const client = new pg.Client({
      ...clientConfig(this.options),
      application_name: this.options.name.slice(0, 63),
      // A leader that cannot reach the server within a few checks must stop acting as leader.
      query_timeout: Math.max(2_000, checkMs * 4),
      connectionTimeoutMillis: Math.max(2_000, checkMs * 4),
    });
    client.on('error', (error) => {
      // The session, and with it the lock, is gone (or soon will be): step down now.
      this.options.onError?.(error);
      if (this.client === client) {
        this.client = undefined;
        this.leading.set(false);
        client.end().catch(() => {});
      }
    });
    await client.connect();
    this.client = client;
    return client;
  }

  private async dropClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}
