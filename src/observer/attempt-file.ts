import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** What reading one of an attempt's files found. */
export type AttemptFile =
  | { kind: 'absent' }
  | { kind: 'read'; text: string }
  /** Larger than the limit: not read, only measured. */
  | { kind: 'too-large'; bytes: number }
  /** Not a regular file (`what` says what it is instead): not read. */
  | { kind: 'refused'; what: string };

// O_NOFOLLOW: a symlink (to /etc/shadow, /dev/zero, a file outside the work dir) is refused, not
// followed. O_NONBLOCK: opening a FIFO nobody writes returns at once instead of waiting for a
// writer, which blocked the observer's only thread, and so every attempt it watched, for good.
const openFlags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Reads a file a program wrote into its work dir (its result, its error message) without ever
 * blocking: only a regular file is read (no FIFO, device, socket, directory or symlink), and no
 * more than `limitBytes` of it (with `head`, a larger file's first `limitBytes` are read; without,
 * it is `too-large`). The program may have replaced the file with anything, and the observer that
 * reads it watches other attempts too. With `owner`, a file of another uid is refused too.
 */
export function readAttemptFile(path: string, limitBytes: number, head = false, owner?: number): AttemptFile {
  let fd: number;
  try {
    fd = openSync(path, openFlags);
  } catch (thrown) {
    const code = (thrown as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'absent' };
    // O_NOFOLLOW fails with ELOOP on a symlink.
    if (code === 'ELOOP') return { kind: 'refused', what: 'a symbolic link' };
    // A device or socket may refuse the open itself (ENXIO, EACCES, ...): not ours to read anyway.
    return { kind: 'refused', what: `a file that cannot be opened (${code ?? (thrown as Error).message})` };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { kind: 'refused', what: fileKind(stats) };
    if (owner !== undefined && stats.uid !== owner) return { kind: 'refused', what: `a file of uid ${stats.uid}, not ${owner}` };
    if (stats.size > limitBytes && !head) return { kind: 'too-large', bytes: stats.size };
    // One byte more than the limit tells a file that grew since fstat from one that did not.
    const buffer = Buffer.alloc(Math.min(limitBytes + (head ? 0 : 1), stats.size + 1));
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    if (read > limitBytes && !head) return { kind: 'too-large', bytes: Math.max(read, fstatSync(fd).size) };
    return { kind: 'read', text: buffer.subarray(0, read).toString('utf8') };
  } finally {
    closeSync(fd);
  }
}

function fileKind(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  if (stats.isDirectory()) return 'a directory';
  return 'not a regular file';
}
