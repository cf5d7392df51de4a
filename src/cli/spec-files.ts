import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, isAbsolute, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { FunctionDocumentInput } from '../client/index.js';
import { CliError, asError } from './cli-error.js';
import { readStdin } from './input-data.js';

/** One Function document read from a spec file, with where it came from. */
export interface SpecDocument {
  /** The file and document number, for messages (`primes.yaml#2`). */
  origin: string;
  name: string;
  document: FunctionDocumentInput;
}

const specExtensions = new Set(['.yaml', '.yml', '.json']);

/**
 * Reads every Function document named by `deploy -f`: a file (YAML with one or more `---`
 * documents, or JSON: one document or an array), a directory (its .yaml/.yml/.json files, not
 * recursive, in name order) or `-` for stdin. All files are read and checked before anything is
 * deployed, so a malformed file changes nothing.
 */
export async function readSpecDocuments(paths: string[]): Promise<SpecDocument[]> {
  const documents: SpecDocument[] = [];
  for (const path of paths) {
    for (const file of await specFilesAt(path)) documents.push(...(await readSpecFile(file)));
  }
  if (documents.length === 0) throw new CliError(`no Function documents found in ${paths.join(', ')}`);
  return documents;
}

async function specFilesAt(path: string): Promise<string[]> {
  if (path === '-') return ['-'];
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (thrown) {
    const code = (thrown as { code?: string }).code;
    throw new CliError(code === 'ENOENT' ? `${path}: no such file or directory` : `${path}: ${asError(thrown).message}`);
  }
  if (!isDirectory) return [path];
  const entries = (await readdir(path)).filter((entry) => specExtensions.has(extname(entry).toLowerCase())).sort();
  if (entries.length === 0) throw new CliError(`${path}: no .yaml, .yml or .json files in this directory`);
  return entries.map((entry) => join(path, entry));
}

async function readSpecFile(file: string): Promise<SpecDocument[]> {
  const text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  const label = file === '-' ? 'stdin' : file;
  const baseDir = file === '-' ? process.cwd() : resolve(file, '..');
  const values = extname(file).toLowerCase() === '.json' ? parseJsonSpec(text, label) : parseYamlSpec(text, label);
  return values.map((value, index) => {
    const origin = values.length > 1 ? `${label}#${index + 1}` : label;
    return toSpecDocument(value, origin, baseDir);
  });
}

function parseJsonSpec(text: string, label: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (thrown) {
    throw new CliError(`${label}: invalid JSON: ${asError(thrown).message}`);
  }
  return Array.isArray(value) ? value : [value];
}

function parseYamlSpec(text: string, label: string): unknown[] {
  const values: unknown[] = [];
  for (const document of parseAllDocuments(text)) {
    const problem = document.errors[0];
    if (problem) throw new CliError(`${label}: invalid YAML: ${problem.message.split('\n')[0]}`);
    const value: unknown = document.toJS();
    // A trailing `---` or a comment-only document holds nothing to deploy.
    if (value !== null && value !== undefined) values.push(value);
  }
  return values;
}

function toSpecDocument(value: unknown, origin: string, baseDir: string): SpecDocument {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(`${origin}: a Function document must be a mapping with apiVersion, kind, metadata and spec`);
  }
  const document = value as FunctionDocumentInput;
  const name = document.metadata?.name;
  if (typeof name !== 'string' || name === '') throw new CliError(`${origin}: metadata.name is missing`);
  return { origin, name, document: withAbsoluteSource(document, baseDir) };
}

/**
 * Makes a relative `spec.source` absolute against the spec file's directory: the server requires
 * absolute paths, and a spec should mean the same wherever it is deployed from. (The domain has
 * the same rule; the CLI keeps its own copy because it imports nothing but the API client.)
 */
export function withAbsoluteSource(document: FunctionDocumentInput, baseDir: string): FunctionDocumentInput {
  const source = document.spec?.source;
  if (typeof source !== 'string' || isAbsolute(source)) return document;
  return { ...document, spec: { ...document.spec, source: resolve(baseDir, source) } };
}
