import { isAbsolute, resolve } from 'node:path';
import type { FunctionDocument } from './function-spec.js';

/**
 * Makes a relative `spec.source` absolute against the directory of the file that declared it, so
 * a spec works wherever it is deployed from. Pure path arithmetic: nothing is read.
 */
export function resolveSourcePath<T extends { spec?: { source?: unknown } }>(document: T, baseDir: string): T {
  const source = document.spec?.source;
  if (typeof source !== 'string' || isAbsolute(source)) return document;
  return { ...document, spec: { ...document.spec, source: resolve(baseDir, source) } };
}

/** True when the document's source, if any, is an absolute path (the server requires it). */
export function hasAbsoluteSource(document: FunctionDocument): boolean {
  return document.spec.source === undefined || isAbsolute(document.spec.source);
}
