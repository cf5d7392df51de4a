import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A python function in a fresh directory the server is not told about, with things the packer
 * must leave out: a node_modules, a __pycache__, a .git and a file named in .pontoonignore.
 * Returns the directory and the spec file in it.
 */
export function writePythonFunction(name: string, addend = 1): { dir: string; specFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pontoon-caller-'));
  writeFileSync(join(dir, 'adder.py'), `def add(numbers, ctx):\n    return sum(numbers) + ${addend}\n`);
  writeFileSync(join(dir, 'function.yaml'), `apiVersion: pontoon.dev/v1\nkind: Function\nmetadata: { name: ${name} }\nspec:\n  runtime: python\n  source: .\n  handler: adder.add\n  timeout: 1m\n  retry: { limit: 0 }\n`);
  writeFileSync(join(dir, '.pontoonignore'), 'secrets.txt\n');
  writeFileSync(join(dir, 'secrets.txt'), 'not for the server\n');
  for (const skipped of ['node_modules/left', '__pycache__', '.git']) {
    mkdirSync(join(dir, skipped), { recursive: true });
    writeFileSync(join(dir, skipped, 'junk.txt'), 'junk\n');
  }
  return { dir, specFile: join(dir, 'function.yaml') };
}
