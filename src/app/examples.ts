import { readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { resolveSourcePath } from '../domain/source-path.js';

/** Every Function document in the .yaml/.yml/.json files under a directory, with sources made absolute. */
export async function readExampleDocuments(dir: string): Promise<{ file: string; document: unknown }[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile() && /\.(ya?ml|json)$/.test(entry.name))
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name))
    .sort();
  const documents: { file: string; document: unknown }[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    for (const parsed of parseAllDocuments(text)) {
      const document = parsed.toJS() as { kind?: string; spec?: { source?: unknown } };
      if (document?.kind !== 'Function') continue;
      documents.push({ file, document: resolveSourcePath(document, dirname(file)) });
    }
  }
  return documents;
}
