import { realpathSync } from 'node:fs';
import { relative, isAbsolute } from 'node:path';
import { PontoonError } from '../domain/errors.js';
import type { FunctionDocument } from '../domain/function-spec.js';
import type { Store } from '../store/store.js';

/**
 * Where a function's code may come from: an uploaded package the store holds, or a directory on
 * the server's own disk under one of the operator's source roots. `undefined` roots (an embedding
 * that names none, such as the engine's own tests) leave paths unchecked; `pontoon up` always
 * passes a list, empty unless --source-root is given, so a caller cannot make the server read
 * its own disk (`source: /` once hashed the whole filesystem).
 */
export interface CodeOrigins {
  sourceRoots?: readonly string[];
}

const invalid = (field: string, message: string) => new PontoonError('INVALID_SPEC', `invalid function spec: ${field} ${message}`, { problems: [{ field, message }] });

/** The real path of `path`, or undefined when it does not exist (the runtimes then say so). */
function real(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** True when `path` is `root` or lies under it, both with links resolved (a link under a root may point anywhere). */
function isUnder(path: string, root: string): boolean {
  const way = relative(real(root) ?? root, path);
  return way === '' || (!way.startsWith('..') && !isAbsolute(way));
}

/**
 * Checks a validated document's code origin and returns it with `spec.package.size` as stored:
 * a package must have been uploaded, a source path must lie under a source root.
 */
export async function checkCodeOrigin(document: FunctionDocument, store: Store, origins: CodeOrigins): Promise<FunctionDocument> {
  const { source, package: pkg } = document.spec;
  if (source !== undefined && origins.sourceRoots !== undefined) {
    const roots = origins.sourceRoots;
    const where = real(source) ?? source;
    if (!roots.some((root) => isUnder(where, root))) {
      throw invalid(
        'spec.source',
        roots.length === 0
          ? 'is a path on the server, and this server reads no source from its own disk (it has no --source-root); deploy with the CLI, which uploads the directory as a package'
          : `must lie under one of the server's source roots (${roots.join(', ')}); deploy with the CLI, which uploads the directory as a package`,
      );
    }
  }
  if (pkg === undefined) return document;
  const stored = await store.hasPackage(pkg.sha256);
  if (!stored) throw invalid('spec.package.sha256', `names no uploaded package (${pkg.sha256}); upload it first with POST /v1/namespaces/${document.metadata.namespace}/packages`);
  return { ...document, spec: { ...document.spec, package: { sha256: stored.sha256, size: stored.size } } };
}
