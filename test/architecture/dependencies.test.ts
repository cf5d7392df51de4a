import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import madge from 'madge';

const root = fileURLToPath(new URL('../../../', import.meta.url));
let graph: Record<string, string[]>;
let cycles: string[][];

/** The first folder of a module path under src/: `domain`, `store`, `cli`… */
const layerOf = (module: string) => module.split('/')[0];

/** Every import from a module of `layer` into a layer it must not know, as "from -> to". */
function forbiddenImports(layer: string, allowed: string[], exceptions: string[] = []): string[] {
  return Object.entries(graph)
    .filter(([module]) => layerOf(module) === layer)
    .flatMap(([module, imports]) => imports.map((target) => `${module} -> ${target}`))
    .filter((edge) => !allowed.includes(layerOf(edge.split(' -> ')[1])) && !exceptions.includes(edge));
}

describe('the dependency direction', () => {
  before(async () => {
    const result = await madge(`${root}src`, { fileExtensions: ['ts', 'tsx'], tsConfig: `${root}tsconfig.json` });
    graph = result.obj();
    cycles = result.circular();
  });

  it('has no import cycles', () => {
    assert.ok(Object.keys(graph).length > 50, 'the graph was read');
    assert.deepEqual(cycles, []);
  });

  it('keeps the domain free of everything else of ours', () => {
    assert.deepEqual(forbiddenImports('domain', ['domain']), []);
  });

  it('keeps the shared helpers (lib) free of everything else of ours, so any layer may use them', () => {
    assert.ok(Object.keys(graph).some((module) => module.startsWith('lib/')), 'lib was read');
    assert.deepEqual(forbiddenImports('lib', ['lib']), []);
  });

  it('lets the CLI reach Pontoon only through the API client (and `up` the server it starts, `token` the server\'s tokens file)', () => {
    const exceptions = ['cli/commands/up.ts -> app/start.ts', 'cli/commands/up.ts -> kubernetes/up-flags.ts', 'cli/commands/up.ts -> app/log-format.ts', 'cli/commands/up.ts -> app/auth-flags.ts', 'cli/commands/token.ts -> api/auth/token-file.ts'];
    assert.deepEqual(forbiddenImports('cli', ['cli', 'client', 'domain'], exceptions), []);
    assert.deepEqual(forbiddenImports('client', ['client', 'domain']), []);
  });

  it('lets the dashboard reach Pontoon only through the API client', () => {
    assert.ok(Object.keys(graph).some((module) => module.startsWith('dashboard/views/')), 'the dashboard was read');
    assert.deepEqual(forbiddenImports('dashboard', ['dashboard', 'client']), []);
  });

  it('keeps the store and the executors below the engine and the API', () => {
    assert.deepEqual(forbiddenImports('store', ['store', 'domain']), []);
    assert.deepEqual(forbiddenImports('executors', ['executors', 'observer', 'runtimes', 'domain', 'store', 'kubernetes', 'lib']), []);
    // The observer shares the store port's LogLine and AttemptRef types, nothing more.
    assert.deepEqual(forbiddenImports('observer', ['observer', 'domain', 'store']), []);
  });
});
