import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildCache } from './build-cache.js';
import { runTool, ToolFailure, which } from './build-tools.js';
import { builtRuntime, type BuildContext, type Launch } from './built-runtime.js';
import type { RuntimeContext, Runtimes } from './runtime.js';
import { sdkHash, type SdkLocations } from './sdk-sources.js';

/** Bumped when what this file builds changes, so older builds are not reused. */
const builderVersion = 'go-2';
/** The SDK's module path, which a function imports. */
const sdkModule = 'pontoon.dev/sdk/go';

/**
 * `runtime: go`: `go build` of the handler's package into one binary per build. The SDK module is
 * replaced by the repo's sdk/go, so building a function never fetches the SDK from the network.
 */
export function goRuntime(cache: BuildCache, sdk: SdkLocations, context: RuntimeContext): Runtimes {
  return builtRuntime(cache, {
    runtime: 'go',
    fingerprint: async () => `${builderVersion}\0${await sdkHash(sdk.go)}`,
    build: (ctx) => buildGo(ctx, sdk, cache.cacheDir),
  }, context);
}

async function buildGo(ctx: BuildContext, sdk: SdkLocations, cacheDir: string): Promise<Launch> {
  const { app, dir } = ctx;
  const go = which('go') ?? goMissing();
  // GOTOOLCHAIN=local: a go.mod asking for a newer Go must fail here, not download a toolchain.
  const env = { ...process.env, ...goCachesWithoutHome(cacheDir), GOWORK: 'off', GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' };
  if (!existsSync(join(app, 'go.mod'))) {
    await writeFile(join(app, 'go.mod'), `module pontoon.dev/functions/${ctx.fn.name.replace(/[^A-Za-z0-9._-]/g, '-')}\n\ngo 1.21\n`);
  }
  await runTool(go, ['mod', 'edit', `-require=${sdkModule}@v0.0.0`, `-replace=${sdkModule}=${sdk.go}`], { cwd: app, env });
  // -trimpath keeps the temporary build path out of the binary and out of the build cache keys,
  // so the Go build cache serves a rebuild of the same package from another build directory.
  const pkg = packageOf(app, ctx.fn.document.spec.handler);
  await runTool(go, ['build', '-trimpath', '-o', join(dir, 'function'), pkg], { cwd: app, env, timeoutMs: 10 * 60_000 });
  return { command: ['{build}/function'], replica: servesHandler(app, pkg) };
}

/**
 * True when the main package hands a handler to the SDK's Serve, which speaks the replica protocol
 * when started as a warm replica; a watcher program (GetInput, Done) reads one input and exits, so
 * it runs on demand only. Read from the source, as a Go binary cannot be asked without running
 * main: a package named by import path rather than a directory is taken for a program.
 */
function servesHandler(app: string, pkg: string): boolean {
  const dir = join(app, pkg);
  if (!pkg.startsWith('.') || !existsSync(dir)) return false;
  return readdirSync(dir).some((file) => {
    if (!file.endsWith('.go') || file.endsWith('_test.go')) return false;
    const source = readFileSync(join(dir, file), 'utf8');
    const name = sdkImportName(source);
    if (name === undefined) return false;
    // A dot import calls Serve unqualified; Serve may be given its type arguments.
    const callee = name === '.' ? '(?:^|[^.\\w])Serve' : `\\b${name}\\.Serve`;
    return new RegExp(`${callee}(\\[[^\\]]*\\])?\\(`, 'm').test(source);
  });
}

const sdkImport = new RegExp(`^[ \\t]*(?:import[ \\t]+)?(\\w+|\\.)?[ \\t]*"${sdkModule.replace(/\./g, '\\.')}"`, 'm');

/** The name a Go file imports the SDK under (its alias, `.`, or the package name pontoon), if it does. */
function sdkImportName(source: string): string | undefined {
  const imported = sdkImport.exec(source);
  if (!imported || imported[1] === '_') return undefined;
  return imported[1] ?? 'pontoon';
}

/**
 * Go keeps its build cache and module cache under $HOME (or $XDG_CACHE_HOME), and refuses to build
 * without a build cache when neither is set, as in a service started by systemd without a User=.
 * Then both go into Pontoon's build cache; variables the server has set are left as they are.
 */
export function goCachesWithoutHome(cacheDir: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (env.HOME) return {};
  const caches: Record<string, string> = {};
  if (!env.GOCACHE && !env.XDG_CACHE_HOME) caches.GOCACHE = join(cacheDir, 'go', 'build-cache');
  if (!env.GOMODCACHE && !env.GOPATH) caches.GOMODCACHE = join(cacheDir, 'go', 'mod-cache');
  return caches;
}

/** The package to build: the source root unless the handler names a directory or an import path. */
function packageOf(app: string, handler: string | undefined): string {
  if (!handler || handler === '.' || handler === 'main') return '.';
  const relative = handler.replace(/^\.\//, '');
  if (existsSync(join(app, relative)) && statSync(join(app, relative)).isDirectory()) return `./${relative}`;
  return handler;
}

function goMissing(): never {
  throw new ToolFailure('go', 'go is not installed (not found on PATH)', null);
}
