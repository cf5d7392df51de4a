import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

type Koffi = typeof import('koffi');

/** The lock file's name in the data dir; it holds the pid of the server that holds the lock. */
export const lockFileName = 'pontoon.lock';

/** A data dir this process holds: released by release(), or by the kernel when the process dies. */
export interface DataDirLock {
  release(): void;
}

/** Thrown when another process holds the data dir; the message names the dir and that process. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: number | undefined,
  ) {
    super(`data dir ${dataDir} is in use by another Pontoon (${holder === undefined ? 'pid unknown' : `pid ${holder}`}); stop it or choose another --data-dir`);
  }
}

// flock(2) operations, the same on Linux and macOS.
const lockExclusive = 2;
const lockNonBlocking = 4;
const lockUnlock = 8;

let flock: ((fd: number, operation: number) => number) | null | undefined;
let errno: (() => number) | undefined;

/** libc's flock(), bound once through koffi; null where it cannot be bound. */
function boundFlock(): ((fd: number, operation: number) => number) | null {
  if (flock !== undefined) return flock;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as Koffi;
    const lib = koffi.load(process.platform === 'darwin' ? 'libSystem.B.dylib' : 'libc.so.6');
    flock = lib.func('int flock(int fd, int operation)') as (fd: number, operation: number) => number;
    errno = () => koffi.errno();
  } catch {
    flock = null;
  }
  return flock;
}

/**
 * Takes the data dir for this process, before anything in it is touched: a second server on the
 * same data dir would take the first one's running attempts for a crashed server's leftovers and
 * kill them, and both would then drain one queue. The lock is an flock() on `pontoon.lock`, which
 * the kernel drops when the holder dies however it dies (a pid file alone would not do: pids are
 * reused, and a stale one would have to be guessed at); the pid written into the file only names
 * the holder in the refusal. Throws DataDirInUseError when another process holds it.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = join(dataDir, lockFileName);
  const lock = boundFlock();
  if (!lock) throw new Error(`cannot lock data dir ${dataDir}: flock() is not available on this machine (${process.platform})`);
  // Not truncated on open: the holder's pid must survive a refused attempt to read it.
  const fd = openSync(path, 'a+', 0o600);
  if (lock(fd, lockExclusive | lockNonBlocking) !== 0) {
    const code = errno?.();
    closeSync(fd);
    // EWOULDBLOCK (11 on Linux, 35 on macOS): someone holds it. Anything else is a real failure.
    if (code !== 11 && code !== 35) throw new Error(`cannot lock data dir ${dataDir}: flock failed (errno ${code})`);
    throw new DataDirInUseError(dataDir, holderPid(path));
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`, 0);
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      lock(fd, lockUnlock);
      closeSync(fd);
    },
  };
}

function holderPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
