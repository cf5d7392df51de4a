/**
 * Who local functions run as, as the operator writes it (`pontoon up --run-as`): pure parsing,
 * no user database. Names are resolved by src/executors/users/resolve-run-as.ts.
 */

/** The operator's choice of the user local functions run as. */
export type RunAsChoice =
  /** One uid (and gid) per running attempt or warm replica, from a range (see UidRange). */
  | { kind: 'dynamic' }
  /** The server's own user: what a server that is not root does anyway. */
  | { kind: 'server' }
  /** One named or numeric user (and group: the user's primary group when not given). */
  | { kind: 'user'; user: string; group?: string };

/** An inclusive range of uids (used as gids too) that dynamic function users are taken from. */
export interface UidRange {
  first: number;
  last: number;
}

/**
 * The default dynamic range, 0x70000000–0x7000FFFF: above systemd's container range
 * (524288–1879048191) and its DynamicUser= range (61184–65519), below the 2^31 boundary that
 * signed-uid bugs cross, and far from /etc/subuid's allocations (100000 upwards by 65536).
 */
export const defaultUidRange: UidRange = { first: 1_879_048_192, last: 1_879_113_727 };

const name = /^[A-Za-z_][A-Za-z0-9_.-]*\$?$/;
const number = /^\d+$/;

/** Parses `dynamic`, `server`, `user`, `user:group`, `uid` or `uid:gid`; throws naming what is wrong. */
export function parseRunAs(text: string): RunAsChoice {
  const trimmed = text.trim();
  if (trimmed === 'dynamic' || trimmed === 'server') return { kind: trimmed };
  const [user, group, extra] = trimmed.split(':');
  const valid = (part: string | undefined) => part !== undefined && (name.test(part) || (number.test(part) && Number(part) <= 4_294_967_294));
  if (extra !== undefined || !valid(user) || (group !== undefined && !valid(group))) {
    throw new Error(`runAs must be dynamic, server, user[:group] or uid[:gid], not ${JSON.stringify(text)}`);
  }
  if (user === '0' || user === 'root') throw new Error('runAs must not be root: functions would run with every privilege of the machine');
  return group === undefined ? { kind: 'user', user: user! } : { kind: 'user', user: user!, group };
}

/** Parses `first-last` (inclusive, first > 0, at most 2^31 - 1); throws naming what is wrong. */
export function parseUidRange(text: string): UidRange {
  const match = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  const first = Number(match?.[1]);
  const last = Number(match?.[2]);
  if (!match || first < 1000 || last < first || last > 2_147_483_647) {
    throw new Error(`runAsRange must be first-last with 1000 <= first <= last <= 2147483647, not ${JSON.stringify(text)}`);
  }
  return { first, last };
}
