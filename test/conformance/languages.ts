import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repo root, from dist-NAME/test/conformance/ where the compiled tests run. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** How each language's conformance function is deployed: runtime, source and handler. */
export const conformanceFunctions = {
  node: { runtime: 'node', source: join(repoRoot, 'test/conformance/functions/node'), handler: 'conformance.handle' },
  python: { runtime: 'python', source: join(repoRoot, 'test/conformance/functions/python'), handler: 'conformance.handle' },
  java: { runtime: 'java', source: join(repoRoot, 'test/conformance/functions/java'), handler: 'dev.pontoon.conformance.Conformance' },
  go: { runtime: 'go', source: join(repoRoot, 'test/conformance/functions/go'), handler: '.' },
} as const;

/** A language with a conformance function. */
export type Language = keyof typeof conformanceFunctions;

/** Every language, in the order results are reported. */
export const languages = Object.keys(conformanceFunctions) as Language[];
