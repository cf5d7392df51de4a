import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { UidRange } from '../../domain/run-as.js';

import type { ProcessUser } from '../../observer/as-user.js';

/** A user that a function's processes run as. */
export type FunctionUser = ProcessUser;

/** Hands out the users that attempts and warm replicas run as (see docs/security.md). */
export interface FunctionUsers {
  /** How functions run, for the server's start line. */
  readonly description: string;
  /** A user for one attempt or replica; release() it once its processes are gone. Throws when none is free. */
  acquire(): FunctionUser;
  release(user: FunctionUser): void;
}

/** Every attempt and replica runs as one fixed user. */
export function fixedUser(user: FunctionUser): FunctionUsers {
  return {
    description: `functions run as ${user.name ?? 'uid'} ${user.uid}:${user.gid}`,
    acquire: () => user,
    release: () => undefined,
  };
}

/**
 * One uid (with the same gid) per running attempt or replica, from `range`, as systemd's
 * DynamicUser= does: two attempts never share a uid, so neither can read the other's work dir,
 * /proc entries or environment. A uid is held through a lock file `<lockDir>/<uid>` holding the
 * server's pid, created exclusively, so that two servers on one machine never hand out the same
 * uid; a lock whose server is gone is taken over. Cost per attempt: one create and one unlink on
 * tmpfs (/run).
 */
export function dynamicUsers(range: UidRange, lockDir: string): FunctionUsers {
  ensureLockDir(lockDir);
  const held = new Set<number>();
  const size = range.last - range.first + 1;
  let next = 0;
  return {
    description: `functions run as dynamic users, one uid per attempt or replica from ${range.first}-${range.last}`,
    acquire() {
      for (let tried = 0; tried < size && tried < held.size + 1024; tried++) {
        const uid = range.first + ((next + tried) % size);
        if (held.has(uid) || !lockUid(lockDir, uid)) continue;
        next = (next + tried + 1) % size;
        held.add(uid);
        return { uid, gid: uid };
      }
      throw new Error(`no free uid in the function users' range ${range.first}-${range.last}`);
    },
    release(user) {
      if (!held.delete(user.uid)) return;
      try {
        unlinkSync(join(lockDir, String(user.uid)));
      } catch {
        // Already gone: nothing holds it.
      }
    },
  };
}

/** Creates the uid lock of `uid`, taking over one whose server is gone; false when another holds it. */
function lockUid(lockDir: string, uid: number): boolean {
  const file = join(lockDir, String(uid));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (thrown) {
      if ((thrown as NodeJS.ErrnoException).code !== 'EEXIST') throw thrown;
      if (holderAlive(file)) return false;
      try {
        unlinkSync(file);
      } catch {
        // Another server took it over first: try the create once more.
      }
    }
  }
  return false;
}

function holderAlive(file: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8').trim());
  } catch {
    return true;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (thrown) {
    return (thrown as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock dir must be this user's alone, or another user could hold or free uids. */
function ensureLockDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stats = lstatSync(dir);
  const uid = process.geteuid?.();
  if (!stats.isDirectory() || (uid !== undefined && stats.uid !== uid) || (stats.mode & 0o022) !== 0) {
    throw new Error(`uid lock dir ${dir} is not safe to use: it must be a directory owned by uid ${uid} that others cannot write`);
  }
}
