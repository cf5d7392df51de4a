import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { Parser, Unpack, type ReadEntry } from 'tar';
import { PontoonError } from '../domain/errors.js';

/** What an uploaded package may be. */
export interface PackageLimits {
  /** Largest archive, in bytes, as uploaded (compressed). */
  maxBytes: number;
  /** Largest total of the files inside: a small gzip can expand a thousand times. */
  maxUnpackedBytes: number;
  /** Most entries (files, directories, links). */
  maxEntries: number;
}

/** A package's name and size: sha256 of the archive's bytes, so a pod can check what it fetched. */
export interface CheckedPackage {
  sha256: string;
  size: number;
}

/** The archive limit when the operator sets none: 64 MiB compressed, 16 times that unpacked. */
export const defaultPackageLimits = (maxBytes = 64 * 1024 * 1024): PackageLimits => ({ maxBytes, maxUnpackedBytes: maxBytes * 16, maxEntries: 100_000 });

// Entry types a source tree has. Devices, FIFOs and the like have no place in a function's source.
const allowedTypes = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

/** Why one entry is refused, or undefined when it stays inside the package's root. */
function entryProblem(entry: ReadEntry): string | undefined {
  const path = entry.header.path ?? entry.path;
  if (!allowedTypes.has(entry.type)) return `${path}: entries of type ${entry.type} are not allowed (files, directories and links only)`;
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return `${path}: absolute paths are not allowed`;
  const normal = posix.normalize(path);
  if (normal === '..' || normal.startsWith('../') || path.split('/').includes('..')) return `${path}: paths may not contain ..`;
  if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
    const target = entry.header.linkpath ?? '';
    if (target.startsWith('/')) return `${path}: links to absolute paths (${target}) are not allowed`;
    // A symbolic link is relative to its own directory, a hard link to the archive's root.
    const resolved = posix.normalize(entry.type === 'SymbolicLink' ? posix.join(posix.dirname(normal), target) : target);
    if (resolved === '..' || resolved.startsWith('../')) return `${path}: the link points outside the package (${target})`;
  }
  return undefined;
}

/**
 * Reads an uploaded archive (.tar.gz or .tar) without writing anything, and refuses it whole when
 * it is too large, corrupt, or holds an entry that would land outside its root once unpacked.
 */
export async function checkPackageArchive(archive: Buffer, limits: PackageLimits): Promise<CheckedPackage> {
  if (archive.length > limits.maxBytes) {
    throw new PontoonError('PAYLOAD_TOO_LARGE', `the package is ${archive.length} bytes, over the limit of ${limits.maxBytes} (the server's --package-limit); leave build outputs and dependencies out with a .pontoonignore`, {
      limit: 'package',
      max: limits.maxBytes,
      size: archive.length,
    });
  }
  const problems: string[] = [];
  let unpacked = 0;
  let entries = 0;
  await new Promise<void>((resolve, reject) => {
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        entries++;
        unpacked += entry.size ?? 0;
        const problem = entryProblem(entry);
        if (problem && problems.length < 10) problems.push(problem);
        entry.resume();
      },
    });
    parser.on('error', (error: Error) => reject(new PontoonError('INVALID_PACKAGE', `the package is not a readable .tar.gz: ${error.message}`, { problems: [error.message] })));
    parser.on('end', () => resolve());
    parser.end(archive);
  });
  if (entries === 0) throw new PontoonError('INVALID_PACKAGE', 'the package is not a readable .tar.gz: it holds no entries', { problems: ['no entries'] });
  if (problems.length > 0) throw new PontoonError('INVALID_PACKAGE', `the package has entries that escape its root: ${problems.join('; ')}`, { problems });
  if (entries > limits.maxEntries) throw new PontoonError('PAYLOAD_TOO_LARGE', `the package has ${entries} entries, over the limit of ${limits.maxEntries}`, { limit: 'entries', max: limits.maxEntries });
  if (unpacked > limits.maxUnpackedBytes) {
    throw new PontoonError('PAYLOAD_TOO_LARGE', `the package unpacks to ${unpacked} bytes, over the limit of ${limits.maxUnpackedBytes}`, { limit: 'unpacked', max: limits.maxUnpackedBytes });
  }
  return { sha256: createHash('sha256').update(archive).digest('hex'), size: archive.length };
}

/**
 * Unpacks a checked archive into `dir`. node-tar refuses on its own what checkPackageArchive
 * refused (absolute paths, `..`, writing through a symbolic link); ownership is not kept.
 */
export async function unpackPackage(archive: Buffer, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const unpack = new Unpack({ cwd: dir, strict: true, preserveOwner: false });
    unpack.on('error', reject);
    unpack.on('close', () => resolve());
    unpack.end(archive);
  });
}
