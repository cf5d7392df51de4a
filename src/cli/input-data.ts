import { readFile } from 'node:fs/promises';
import { CliError, asError } from './cli-error.js';

/**
 * Reads the input of `invoke --data`: inline JSON, `@file.json` for a file, `@-` for stdin. A
 * malformed value is refused here, naming where the bad JSON came from, so nothing is sent.
 */
export async function readInputData(data: string): Promise<unknown> {
  if (!data.startsWith('@')) return parseJson(data, '--data');
  const path = data.slice(1);
  const text = path === '-' ? await readStdin() : await readText(path, `--data ${data}`);
  return parseJson(text, path === '-' ? '--data @- (stdin)' : `--data ${data}: ${path}`);
}

/** Reads a JSON file or stdin (`-`) and parses it, naming the file when it is not JSON. */
export async function readJsonFile(path: string, flag: string): Promise<unknown> {
  const text = path === '-' ? await readStdin() : await readText(path, `${flag} ${path}`);
  return parseJson(text, `${flag} ${path}`);
}

/** Parses JSON, or fails with a message that names the source and the parser's complaint. */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (thrown) {
    throw new CliError(`${source} is not valid JSON: ${asError(thrown).message}`);
  }
}

async function readText(path: string, source: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (thrown) {
    const code = (thrown as { code?: string }).code;
    throw new CliError(`${source}: cannot read ${path}${code ? ` (${code})` : `: ${asError(thrown).message}`}`);
  }
}

/** Reads all of stdin as text. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
