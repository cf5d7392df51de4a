import { existsSync } from 'node:fs';
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildCache } from './build-cache.js';
import { runTool, ToolFailure, whichAll } from './build-tools.js';
import { executableByOthers } from './other-users.js';
import { builtRuntime, type BuildContext, type Launch } from './built-runtime.js';
import type { RuntimeContext, Runtimes } from './runtime.js';
import { sdkHash, type SdkLocations } from './sdk-sources.js';

/** Bumped when what this file builds changes, so older builds are not reused. */
const builderVersion = 'python-3';

// The handler runner for `module.function`: the SDK's serve(), with the input converted to the
// type the handler's first parameter declares, when it declares one. typing is imported only then.
// With the SDK importing neither typing nor dataclasses (sdk/python/src/pontoon_sdk/_value.py), a
// no-op handler's first line went from +19.6 to +8.4 ms over `python3 -c 'print(...)'` (median of
// 20 interleaved starts on a noisy 2-core VM, about ±3 ms); `python3 -X importtime` puts the SDK's
// import at 26.8 -> 6.1 ms here, 37.4 -> 15.7 ms with -S (no site, which here imports typing).
// Started as a warm replica (PONTOON_RUNTIME_API set), serve() runs the replica loop and fail()
// reports a handler that cannot be loaded as the replica's start failure (docs/warm-replicas.md).
const bootstrap = `import importlib
import sys

from pontoon_sdk import fail, serve

module_name, function_name = sys.argv[1], sys.argv[2]
del sys.argv[1:3]
try:
    module = importlib.import_module(module_name)
except Exception as exc:  # noqa: BLE001 - a module that does not load fails the attempt (or the replica's start) with why
    import traceback

    traceback.print_exc()
    fail(f"handler {module_name}.{function_name}: importing {module_name} raised {type(exc).__name__}: {exc}")
handler = getattr(module, function_name, None)
if not callable(handler):
    fail(f"handler {module_name}.{function_name}: {module_name} has no function {function_name}")
input_type = None
try:
    code = handler.__code__
    params = [p for p in code.co_varnames[: code.co_argcount] if p != "self"]
    if params and params[0] in handler.__annotations__:
        import typing

        input_type = typing.get_type_hints(handler).get(params[0])
except Exception:  # noqa: BLE001 - no usable annotation: the handler gets the parsed JSON
    input_type = None
serve(handler, input_type)
`;

/**
 * `runtime: python`: the source runs as is (byte-compiled once per build, which also finds syntax
 * errors at deploy); with a requirements.txt, a virtual environment per build gets them from pip.
 * `pontoon_sdk` is copied into the build, so the function imports the SDK it was deployed with.
 */
export function pythonRuntime(cache: BuildCache, sdk: SdkLocations, context: RuntimeContext): Runtimes {
  const executable = () => pythonExecutable(context.forOtherUsers);
  return builtRuntime(cache, {
    runtime: 'python',
    fingerprint: async () => `${builderVersion}\0${await sdkHash(sdk.python)}\0${await executable()}`,
    build: async (ctx) => buildPython(ctx, sdk, await executable()),
  }, context);
}

const interpreters = new Map<boolean, Promise<string>>();

/**
 * The real interpreter behind `python3`, found once: launching a version manager's shim (pyenv's
 * is a shell script) would cost every attempt tens of milliseconds. For functions that run as
 * other users, the first one on PATH that they can execute (pyenv's, under a 0700 home, is not).
 */
function pythonExecutable(forOtherUsers: boolean): Promise<string> {
  let interpreter = interpreters.get(forOtherUsers);
  if (!interpreter) {
    interpreter = (async () => {
      const candidates = [...whichAll('python3'), ...whichAll('python')];
      if (candidates.length === 0) throw new ToolFailure('python3', 'python3 is not installed (not found on PATH)', null);
      const reals: string[] = [];
      for (const python of candidates) {
        const real = (await runTool(python, ['-c', 'import sys; print(sys.executable)'], { cwd: '/' }).catch(() => '')).trim() || python;
        if (!forOtherUsers || executableByOthers(real)) return real;
        reals.push(real);
      }
      throw new ToolFailure('python3', `no python3 on PATH can be run by the function users (${reals.join(', ')}: a directory on the way is closed to others); install one they can run, or run functions as the server's user`, null);
    })();
    interpreter.catch(() => interpreters.delete(forOtherUsers));
    interpreters.set(forOtherUsers, interpreter);
  }
  return interpreter;
}

async function buildPython(ctx: BuildContext, sdk: SdkLocations, interpreter: string): Promise<Launch> {
  const { app, dir } = ctx;
  let python = interpreter;
  const lib = join(dir, 'lib');
  await cp(join(sdk.python, 'src', 'pontoon_sdk'), join(lib, 'pontoon_sdk'), { recursive: true, filter: (path) => !path.endsWith('__pycache__') });
  if (existsSync(join(app, 'requirements.txt'))) {
    const venv = join(dir, 'venv');
    // Without its own pip, and filled by the interpreter's pip through --python: seeding pip into
    // every environment took most of the 15 s a venv build measured here.
    await runTool(python, ['-m', 'venv', '--without-pip', venv], { cwd: dir });
    await runTool(python, ['-m', 'pip', '--python', join(venv, 'bin', 'python'), 'install', '--quiet', '--disable-pip-version-check', '-r', join(app, 'requirements.txt')], { cwd: app });
    python = '{build}/venv/bin/python';
  }
  // Byte-compiled now rather than by the first attempt: a syntax error fails the deploy, and no
  // attempt pays for compiling.
  await runTool(python.replace('{build}', dir), ['-m', 'compileall', '-q', app, lib], { cwd: dir });
  await writeFile(join(dir, 'pontoon_bootstrap.py'), bootstrap);

  const env = { PYTHONPATH: '{build}/app:{build}/lib', PYTHONUNBUFFERED: '1' };
  const handler = ctx.fn.document.spec.handler;
  if (!handler) {
    for (const main of ['main.py', '__main__.py']) if (existsSync(join(app, main))) return { command: [python, `{build}/app/${main}`], env, replica: false };
    throw new ToolFailure('python', 'no handler is given and the source has no main.py or __main__.py to run', null);
  }
  if (isModule(app, handler, true)) return { command: [python, '-m', handler], env, replica: false };
  const dot = handler.lastIndexOf('.');
  const moduleName = handler.slice(0, dot);
  if (dot <= 0 || !isModule(app, moduleName, false)) {
    throw new ToolFailure('python', `handler ${handler}: no module ${dot > 0 ? moduleName : handler} in the source (want module.function or a module to run)`, null);
  }
  // The bootstrap's serve() is the handler runner: one attempt on demand, or the replica loop.
  return { command: [python, '{build}/pontoon_bootstrap.py', moduleName, handler.slice(dot + 1)], env, replica: true };
}

/** True when a dotted name is a module file (or, for a program, a package with __main__) in the source. */
function isModule(app: string, dotted: string, asProgram: boolean): boolean {
  const path = join(app, ...dotted.split('.'));
  return existsSync(`${path}.py`) || existsSync(join(path, asProgram ? '__main__.py' : '__init__.py'));
}
