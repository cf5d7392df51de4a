/**
 * The body of the SQLite store's thread (see threaded-store.ts): it holds the one SqliteStore of
 * the server and runs the operations the main thread posts, one after another in arrival order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { StoredPackage } from '../store.js';
import { openSqliteStore, type SqliteStore } from './sqlite-store.js';
import { asPackage, encodeError, type StoreThreadData, type ThreadAnswer, type ThreadCall } from './thread-protocol.js';

const port = parentPort!;

function answer(message: ThreadAnswer): void {
  try {
    port.postMessage(message);
  } catch (thrown) {
    // An answer that cannot be cloned (error details holding a function, say) still answers.
    port.postMessage([message[0], undefined, encodeError(thrown)] satisfies ThreadAnswer);
  }
}

/** The store, or undefined when it failed to open (that answer ends the thread). */
function open(): SqliteStore | undefined {
  try {
    const store = openSqliteStore(workerData as StoreThreadData);
    answer([0, undefined]);
    return store;
  } catch (thrown) {
    answer([0, undefined, encodeError(thrown)]);
    port.close();
    return undefined;
  }
}

const store = open();
if (store) serve(store);

/** Runs the posted operations until the main thread closes the store. */
function serve(store: SqliteStore): void {
  port.on('message', ([id, operation, args]: ThreadCall) => {
    if (operation === 'close') {
      void store.close().then(
        () => {
          answer([id, undefined]);
          port.close();
        },
        (thrown) => answer([id, undefined, encodeError(thrown)]),
      );
      return;
    }
    // A Buffer arrives as a plain Uint8Array: the package's archive is stored as the blob it was.
    if (operation === 'putPackage') args[0] = asPackage(args[0] as StoredPackage);
    // Each operation does its SQL synchronously when called: calls run in the order they were posted.
    (store[operation] as (...args: unknown[]) => Promise<unknown>).apply(store, args).then(
      (value) => answer([id, value]),
      (thrown) => answer([id, undefined, encodeError(thrown)]),
    );
  });
}
