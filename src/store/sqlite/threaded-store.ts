import { Worker } from 'node:worker_threads';
import type { Store, StoredPackage } from '../store.js';
import type { SqliteStoreOptions } from './sqlite-store.js';
import { asPackage, decodeError, threadOperations, type StoreThreadData, type ThreadAnswer, type ThreadCall, type ThreadOperation } from './thread-protocol.js';

/** A call posted to the thread and not answered yet. */
interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * The SQLite store on a thread of its own: a Store whose operations post their arguments to the
 * thread that holds the SqliteStore (store-thread.ts) and resolve with its answers. better-sqlite3
 * runs each statement and commit synchronously, so on the main thread the HTTP API and the
 * runtime API of warm replicas waited for every claim, settlement and commit; with the store here
 * both cores work, one on requests, one on SQL. Operations run in the order they are called, as
 * on the main thread; errors arrive as the classes they were thrown as (PontoonError with its code
 * and details, SqliteError with its code).
 *
 * Measured (bench/warm-drain.ts, session 10): the event loop's CPU per warm execution fell by more
 * than half and the drain rose in 9 of 11 alternating pairs, for ~15-20 µs per execution of CPU
 * more in all (the structured clones of arguments and answers) and ~30 MiB of RSS (the thread's
 * V8 heap).
 */
class StoreThread {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private ended: Error | undefined;
  private closing = false;
  /** Open and not closing: the store's life, in which losing the thread is fatal. */
  private serving = false;
  private readonly exited: Promise<void>;

  constructor(private readonly worker: Worker) {
    // Idle, the thread does not keep the process alive (nor did the store on the main thread);
    // with calls under way it does, so that their answers arrive.
    worker.unref();
    worker.on('message', ([id, value, error]: ThreadAnswer) => this.settle(id, value, error && decodeError(error)));
    worker.on('error', (thrown) => this.end(new Error(`the SQLite store's thread failed: ${thrown.message}`, { cause: thrown })));
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.once('exit', (code) => this.end(new Error(code === 0 ? 'the SQLite store is closed' : `the SQLite store's thread exited with code ${code}`)));
  }

  /** Resolves once the store is open (the thread's first answer, id 0); rejects with the error that kept it from opening. */
  async opened(): Promise<void> {
    await this.expect(0);
    this.serving = true;
  }

  /** Runs one operation on the thread. */
  call(operation: ThreadOperation | 'close', args: unknown[]): Promise<unknown> {
    const id = this.nextId++;
    const answered = this.expect(id);
    if (!this.ended) this.worker.postMessage([id, operation, args] satisfies ThreadCall);
    return answered;
  }

  /** Closes the store on its thread and waits for the thread to end. */
  async close(): Promise<void> {
    if (this.ended) return;
    // Held until the thread has ended: its close is the file's last, and the process waits for it.
    this.closing = true;
    this.worker.ref();
    await this.call('close', []);
    await this.exited;
  }

  /** The answer with this id, once it arrives; the thread is held while any is awaited. */
  private expect(id: number): Promise<unknown> {
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
    });
  }

  private settle(id: number, value: unknown, error: Error | undefined): void {
    const call = this.pending.get(id);
    if (!call) return;
    this.pending.delete(id);
    if (this.pending.size === 0 && !this.closing) this.worker.unref();
    if (error) call.reject(error);
    else call.resolve(value);
  }

  private end(error: Error): void {
    // A thread lost while open (an uncaught error in it) takes the process down, as the same
    // error in the store on the main thread did: leases and restart recover its attempts, where a
    // server left up with a dead store would answer every request with an error.
    if (this.serving && !this.ended && !this.closing) {
      process.nextTick(() => {
        throw error;
      });
    }
    this.ended ??= error;
    for (const call of this.pending.values()) call.reject(this.ended);
    this.pending.clear();
  }
}

/**
 * Opens the SQLite store in `options.file` on a thread of its own (see StoreThread); rejects as
 * openSqliteStore throws when the file cannot be opened or migrated.
 */
export async function openThreadedSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const workerData: StoreThreadData = options;
  const thread = new StoreThread(new Worker(new URL('./store-thread.js', import.meta.url), { workerData }));
  await thread.opened();
  const operations = Object.fromEntries(threadOperations.map((operation) => [operation, (...args: unknown[]) => thread.call(operation, args)]));
  return {
    ...(operations as Omit<Store, 'close' | 'onWake'>),
    // A Buffer crosses the boundary as a plain Uint8Array.
    getPackage: async (sha256) => {
      const stored = (await thread.call('getPackage', [sha256])) as StoredPackage | undefined;
      return stored && asPackage(stored);
    },
    close: () => thread.close(),
  };
}
