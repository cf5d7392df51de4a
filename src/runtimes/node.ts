import { existsSync, readdirSync, statSync } from 'node:fs';
import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { FunctionVersion } from '../domain/function-spec.js';
import type { BuildCache } from './build-cache.js';
import { runTool, ToolFailure } from './build-tools.js';
import { builtRuntime, type BuildContext, type Launch } from './built-runtime.js';
import type { RuntimeContext, Runtimes } from './runtime.js';
import { repoTsc, sdkHash, type SdkLocations } from './sdk-sources.js';

/** Bumped when what this file builds changes, so older builds are not reused. */
const builderVersion = 'node-3';
const scriptExtensions = ['.js', '.mjs', '.cjs'];
/** Where a build holds the SDK, and the SDK's entry module (its package.json `exports`) in it. */
const sdkDir = 'node_modules/@pontoon/sdk';
const sdkEntry = `${sdkDir}/dist/src/index.js`;
const typeScriptExtensions = ['.ts', '.mts', '.cts'];

/**
 * `runtime: node`: JavaScript runs as is, TypeScript is compiled once per build with the repo's
 * tsc, and `@pontoon/sdk` is installed into the build's own node_modules, so the function resolves
 * it whatever its source directory holds.
 */
export function nodeRuntime(cache: BuildCache, sdk: SdkLocations, context: RuntimeContext): Runtimes {
  return builtRuntime(cache, {
    runtime: 'node',
    fingerprint: async () => `${builderVersion}\0${await sdkHash(sdk.node)}\0${process.version}`,
    build: (ctx) => buildNode(ctx, sdk),
  }, context);
}

async function buildNode(ctx: BuildContext, sdk: SdkLocations): Promise<Launch> {
  const { app, dir, source } = ctx;
  // The user's dependencies are linked rather than copied: they can be large, and they are theirs.
  if (existsSync(join(source, 'node_modules'))) await symlink(join(source, 'node_modules'), join(app, 'node_modules'));
  await installSdk(join(dir, sdkDir), sdk);
  const userPackage = await readJson(join(app, 'package.json'));
  // Without a package.json of its own, a function's .js files are ES modules, as the SDK is.
  if (!userPackage) await writeFile(join(dir, 'package.json'), '{ "type": "module", "private": true }\n');

  const outDir = hasTypeScript(app) ? await compileTypeScript(app, sdk) : app;
  const handler = ctx.fn.document.spec.handler;
  const node = process.execPath;
  if (!handler) {
    const main = findModule(outDir, mainCandidates(userPackage)) ?? missing(ctx.fn, 'no handler is given and the source has no package.json main, index.js or main.js to run');
    return { command: [node, toBuild(dir, main)] };
  }
  const dot = handler.lastIndexOf('.');
  if (dot <= 0 || dot === handler.length - 1) missing(ctx.fn, `handler ${handler} must be file.exportName (such as primes.handler)`);
  const file = findModule(outDir, [handler.slice(0, dot)]) ?? missing(ctx.fn, `handler ${handler}: no ${handler.slice(0, dot)}.js (or .mjs, .cjs, .ts) in the source`);
  // The SDK's module is the handler runner: it imports the function's module and serves the export,
  // once per process on demand, or, started as a warm replica (PONTOON_RUNTIME_API set), for every
  // invocation the replica takes (docs/warm-replicas.md): the same command serves both.
  return { command: [node, `{build}/${sdkEntry}`, toBuild(dir, file), handler.slice(dot + 1), handler] };
}

/** Copies the built SDK (its package.json and dist/src) into a build, building it first if needed. */
async function installSdk(target: string, sdk: SdkLocations): Promise<void> {
  await mkdir(target, { recursive: true });
  await cp(join(sdk.node, 'package.json'), join(target, 'package.json'));
  const built = join(sdk.node, 'dist', 'src');
  // A dist older than any source it was built from (an SDK edited since) is built again.
  const sources = readdirSync(join(sdk.node, 'src')).filter((file) => file.endsWith('.ts'));
  const fresh = sources.every((file) => {
    const output = join(built, file.replace(/\.ts$/, '.js'));
    return existsSync(output) && statSync(output).mtimeMs >= statSync(join(sdk.node, 'src', file)).mtimeMs;
  });
  if (fresh) {
    await cp(built, join(target, 'dist', 'src'), { recursive: true });
    return;
  }
  const tsc = repoTsc(sdk.root);
  if (!tsc) throw new ToolFailure('tsc', `the node SDK in ${sdk.node} is not built and no TypeScript compiler is installed to build it`, null);
  await runTool(process.execPath, [tsc, '-p', join(sdk.node, 'tsconfig.json'), '--outDir', join(target, 'dist')], { cwd: sdk.node, name: 'tsc' });
}

function hasTypeScript(dir: string): boolean {
  return listFiles(dir).some((file) => typeScriptExtensions.some((ext) => file.endsWith(ext)) && !/\.d\.[mc]?ts$/.test(file));
}

/**
 * Compiles the function's TypeScript next to its sources (the user's tsconfig.json when it has one,
 * else strict NodeNext defaults) and returns where the .js files are.
 */
async function compileTypeScript(app: string, sdk: SdkLocations): Promise<string> {
  const tsc = repoTsc(sdk.root);
  if (!tsc) throw new ToolFailure('tsc', `the source has TypeScript files but no TypeScript compiler is installed in ${sdk.root}`, null);
  const types = ['--typeRoots', join(sdk.root, 'node_modules', '@types'), '--types', 'node'];
  const tsconfig = join(app, 'tsconfig.json');
  if (existsSync(tsconfig)) {
    await runTool(process.execPath, [tsc, '-p', tsconfig, ...types], { cwd: app, name: 'tsc' });
    const outDir = ((await readJson(tsconfig)) as { compilerOptions?: { outDir?: string } } | undefined)?.compilerOptions?.outDir;
    return outDir ? join(app, outDir) : app;
  }
  const files = listFiles(app).filter((file) => typeScriptExtensions.some((ext) => file.endsWith(ext)) && !/\.d\.[mc]?ts$/.test(file));
  const options = ['--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--strict', '--skipLibCheck', '--esModuleInterop', '--pretty', 'false', '--rootDir', app, '--outDir', app];
  await runTool(process.execPath, [tsc, ...options, ...types, ...files], { cwd: app, name: 'tsc' });
  return app;
}

/** The module a name points at, trying the script extensions (a compiled .ts is its .js). */
function findModule(dir: string, names: string[]): string | undefined {
  for (const name of names) {
    const bare = name.replace(/\.[cm]?[jt]s$/, '');
    for (const ext of scriptExtensions) if (existsSync(join(dir, bare + ext))) return join(dir, bare + ext);
    if (existsSync(join(dir, name)) && scriptExtensions.some((ext) => name.endsWith(ext))) return join(dir, name);
  }
  return undefined;
}

function mainCandidates(userPackage: unknown): string[] {
  const main = (userPackage as { main?: unknown } | undefined)?.main;
  return [...(typeof main === 'string' ? [main.replace(/^\.\//, '')] : []), 'index', 'main'];
}

function toBuild(dir: string, file: string): string {
  return join('{build}', relative(dir, file));
}

function listFiles(dir: string, prefix = ''): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(prefix, entry.name);
    if (entry.isDirectory()) found.push(...listFiles(dir, path));
    else if (entry.isFile()) found.push(join(dir, path));
  }
  return found;
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function missing(fn: FunctionVersion, why: string): never {
  throw new ToolFailure('node', why, null);
}
