import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultUidRange, type RunAsChoice, type UidRange } from '../../domain/run-as.js';
import { dynamicUsers, fixedUser, type FunctionUser, type FunctionUsers } from './function-users.js';

/** How local functions run on this server, and what `pontoon up` says about it at start. */
export interface RunAsDecision {
  /** Undefined: as the server's own user. */
  users: FunctionUsers | undefined;
  message: string;
}

/**
 * Decides who local functions run as. Only root can switch users: a server that is not root runs
 * them as itself (and refuses an explicit user it cannot become); root runs them as dynamic users
 * unless told otherwise, never as root.
 */
export function resolveRunAs(choice: RunAsChoice | undefined, range: UidRange = defaultUidRange): RunAsDecision {
  const uid = process.geteuid?.();
  const wanted: RunAsChoice = choice ?? (uid === 0 ? { kind: 'dynamic' } : { kind: 'server' });
  if (wanted.kind === 'server') {
    const why = uid === 0 ? 'as root, since --run-as server was given' : `as the server's user (uid ${uid ?? 'unknown'}): only a server running as root can run them as other users`;
    return { users: undefined, message: `local functions run ${why}; they can read what this user can, the server's environment in /proc and its data dir included` };
  }
  if (uid !== 0) throw new Error(`runAs ${wanted.kind === 'dynamic' ? 'dynamic' : wanted.user} needs a server running as root (this one is uid ${uid ?? 'unknown'}); leave it out to run functions as the server's user`);
  const users = wanted.kind === 'dynamic' ? dynamicUsers(range, uidLockDir()) : fixedUser(lookUpUser(wanted.user, wanted.group));
  return { users, message: users.description };
}

/** /run/pontoon/uids on Linux (tmpfs, root's), else a directory in the temp dir. */
function uidLockDir(): string {
  return existsSync('/run') ? '/run/pontoon/uids' : join(tmpdir(), 'pontoon-uids');
}

/** A user and group by name or number, through getent (NSS: /etc/passwd, LDAP, ...). */
function lookUpUser(user: string, group: string | undefined): FunctionUser {
  const entry = getent('passwd', user);
  const numeric = /^\d+$/.test(user);
  if (!entry && !numeric) throw new Error(`runAs: no user named ${user}`);
  const uid = entry ? Number(entry[2]) : Number(user);
  let gid: number;
  if (group === undefined) {
    if (!entry) throw new Error(`runAs: uid ${user} has no entry in the user database: give its group as ${user}:<gid>`);
    gid = Number(entry[3]);
  } else {
    const groupEntry = getent('group', group);
    if (!groupEntry && !/^\d+$/.test(group)) throw new Error(`runAs: no group named ${group}`);
    gid = groupEntry ? Number(groupEntry[2]) : Number(group);
  }
  if (uid === 0 || gid === 0) throw new Error('runAs must not be root (uid or gid 0): functions would run with every privilege of the machine');
  return entry ? { uid, gid, name: entry[0] } : { uid, gid };
}

function getent(database: 'passwd' | 'group', key: string): string[] | undefined {
  try {
    return execFileSync('getent', [database, key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0]?.split(':');
  } catch {
    return undefined;
  }
}
