import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { BuildCache } from './build-cache.js';
import { runTool, ToolFailure, which } from './build-tools.js';
import { builtRuntime, type BuildContext, type Launch } from './built-runtime.js';
import { archiveAtDumpAddress, cdsFlags, javaCdsArchive } from './java-cds.js';
import { dependencyPlugin, fastJavac, functionClassPathProperty, handlerMainClass, javaSdk, listJava, type JavaSdk } from './java-sdk.js';
import type { RuntimeContext, Runtimes } from './runtime.js';
import { sdkHash, type SdkLocations } from './sdk-sources.js';

/** Bumped when what this file builds changes, so older builds are not reused. */
const builderVersion = 'java-6';

/**
 * `runtime: java`: Maven when the source has a pom.xml, Gradle when it has a build.gradle and
 * gradle is installed, else one plain javac of all its sources against the SDK (the fast path: the
 * SDK itself is compiled once per SDK version, not per function). `handler` is a class name: a
 * class with a static main is run as is; a class implementing dev.pontoon.sdk.Handler goes through
 * the SDK's handler runner.
 */
export function javaRuntime(cache: BuildCache, sdk: SdkLocations, context: RuntimeContext): Runtimes {
  return builtRuntime(cache, {
    runtime: 'java',
    fingerprint: async () => `${builderVersion}\0${await sdkHash(sdk.java)}`,
    build: (ctx) => buildJava(ctx, cache, sdk),
  }, context);
}

async function buildJava(ctx: BuildContext, cache: BuildCache, sdk: SdkLocations): Promise<Launch> {
  const { app, dir } = ctx;
  const handler = ctx.fn.document.spec.handler;
  if (!handler) throw new ToolFailure('java', 'runtime java needs spec.handler: the class to run (such as com.example.Primes)', null);
  const java = which('java') ?? toolMissing('java');
  const runtimeSdk = await javaSdk(cache, sdk);

  let classPath: string[];
  let sourceRoot: string;
  if (existsSync(join(app, 'pom.xml'))) {
    classPath = await buildWithMaven(ctx, runtimeSdk, sdk);
    sourceRoot = join(app, 'src', 'main', 'java');
  } else if ((existsSync(join(app, 'build.gradle')) || existsSync(join(app, 'build.gradle.kts'))) && which('gradle')) {
    classPath = await buildWithGradle(ctx);
    sourceRoot = join(app, 'src', 'main', 'java');
  } else {
    sourceRoot = existsSync(join(app, 'src', 'main', 'java')) ? join(app, 'src', 'main', 'java') : app;
    classPath = await buildWithJavac(ctx, sourceRoot, runtimeSdk);
  }
  const joined = (entries: string[]) => entries.map((entry) => entry.split(dir).join('{build}')).join(':');
  const declaration = findClassSource(sourceRoot, handler);
  if (declaration === undefined && !classPath.some((entry) => existsSync(join(entry, ...handler.split('.')) + '.class'))) {
    throw new ToolFailure('java', `handler class ${handler} is not declared in the source (looked for ${handler.split('.').join('/')}.java)`, null);
  }
  // A class whose source declares a static main is started directly: no bootstrap class to load,
  // and no CDS archive either (mapping it cost a no-op program 35 ms of the 57 a bare JVM takes).
  if (declaration !== undefined && /\bstatic\b[^;{(]*\bvoid\s+main\s*\(/.test(declaration)) {
    return { command: [java, ...archiveAtDumpAddress, '-cp', joined([...classPath, ...runtimeSdk.classPath]), handler], replica: false };
  }
  // A handler starts with the SDK's class path, as the SDK's CDS archive was dumped with it (the
  // JVM uses an archive only when its class path is a prefix of the launch's). A function that
  // brings a Jackson of its own keeps its class path first, so its Jackson wins, and no archive.
  const archive = ownsJackson(classPath, runtimeSdk) ? undefined : await javaCdsArchive(cache, runtimeSdk, java);
  // HandlerMain serves a Handler: one attempt on demand, or the replica loop (Pontoon.serve).
  if (!archive) return { command: [java, ...archiveAtDumpAddress, '-cp', joined([...classPath, ...runtimeSdk.classPath]), handlerMainClass, handler], replica: true };
  // The JVM's class path holds what the archive has; the function's own entries go to HandlerMain's
  // loader, which finds its classes without opening the SDK's jars first (~17 ms).
  return {
    command: [java, ...cdsFlags(archive), '-cp', joined(runtimeSdk.classPath), `-D${functionClassPathProperty}=${joined(classPath)}`, handlerMainClass, handler],
    replica: true,
  };
}

/** True when a function's class path holds a Jackson jar that is not the SDK's own. */
function ownsJackson(classPath: string[], runtimeSdk: JavaSdk): boolean {
  return classPath.some((entry) => /(^|\/)jackson-[\w-]+\.jar$/.test(entry) && !runtimeSdk.classPath.includes(entry));
}

/** Plain javac of every source file; resources next to the sources stay on the class path. */
async function buildWithJavac(ctx: BuildContext, sourceRoot: string, runtimeSdk: JavaSdk): Promise<string[]> {
  const sources = listJava(sourceRoot);
  if (sources.length === 0) throw new ToolFailure('javac', 'the source has no .java files', null);
  const classes = join(ctx.dir, 'classes');
  // An argument file keeps a large source tree under the command-line length limit.
  const argFile = join(ctx.dir, 'javac-sources.txt');
  await writeFile(argFile, sources.map((file) => JSON.stringify(file)).join('\n'));
  await runTool('javac', [...fastJavac, '-encoding', 'UTF-8', '-proc:none', '-d', classes, '-cp', runtimeSdk.classPath.join(':'), `@${argFile}`], { cwd: ctx.app });
  const resources = join(ctx.app, 'src', 'main', 'resources');
  return [classes, existsSync(resources) ? resources : ctx.app];
}

/**
 * Maven, offline first (the local repository usually has everything), online if it lacks
 * something. `compile` rather than `package`: the classes are all a launch needs, and a jar would
 * need one more plugin in the repository. The SDK is put into the local repository first, so a pom
 * may depend on dev.pontoon:pontoon-sdk.
 */
async function buildWithMaven(ctx: BuildContext, runtimeSdk: JavaSdk, sdk: SdkLocations): Promise<string[]> {
  const mvn = which('mvn') ?? toolMissing('mvn');
  await installSdkInLocalRepository(mvn, runtimeSdk, sdk);
  const classPathFile = join(ctx.dir, 'maven-classpath.txt');
  const args = ['-q', '-B', '-DskipTests', 'compile', `${dependencyPlugin}:build-classpath`, `-Dmdep.outputFile=${classPathFile}`, '-Dmdep.includeScope=runtime'];
  await offlineFirst(mvn, args, ctx.app);
  const dependencies = (await readFile(classPathFile, 'utf8')).trim();
  return [join(ctx.app, 'target', 'classes'), ...(await copyIntoBuild(dependencies ? dependencies.split(':') : [], join(ctx.dir, 'lib')))];
}

/**
 * Copies the dependency jars of a build out of Maven's local repository into the build: that
 * repository is the server user's (under a home others cannot enter, such as /root), while the
 * build must run as the function users too, and must not change when the repository does.
 * One numbered directory each, since two artifacts of different groups may share a file name.
 */
async function copyIntoBuild(jars: string[], lib: string): Promise<string[]> {
  return Promise.all(
    jars.map(async (jar, index) => {
      if (!jar.endsWith('.jar')) return jar;
      // A directory per jar keeps its file name, which ownsJackson() reads.
      const copy = join(lib, String(index), basename(jar));
      await mkdir(dirname(copy), { recursive: true });
      await copyFile(jar, copy);
      return copy;
    }),
  );
}

/**
 * Runs Maven offline, then online if the local repository lacks something (a dependency, or a
 * plugin on a new machine); any other failure, such as a compile error, is reported as it is.
 */
async function offlineFirst(mvn: string, args: string[], cwd: string): Promise<void> {
  try {
    await runTool(mvn, ['-o', ...args], { cwd });
  } catch (thrown) {
    const offlineMiss = thrown instanceof ToolFailure && /offline|Cannot access|could not be resolved|resolve|No plugin found/i.test(thrown.output);
    if (!offlineMiss) throw thrown;
    await runTool(mvn, args, { cwd });
  }
}

const installed = new Map<string, Promise<void>>();

/**
 * Installs the SDK's jar and pom into Maven's local repository, wherever Maven's settings put it
 * (`install:install-file`, not a copy into ~/.m2: Maven reads user.home, which need not be $HOME).
 * Once per process and SDK build, before any pom build reads it: Maven rewrites the jar in place,
 * which a concurrent compile could read half-written; when the repository already has this very
 * jar (same size and time) Maven leaves it alone, so other processes' compiles are not disturbed.
 */
function installSdkInLocalRepository(mvn: string, runtimeSdk: JavaSdk, sdk: SdkLocations): Promise<void> {
  let done = installed.get(runtimeSdk.dir);
  if (!done) {
    const args = ['-q', '-B', 'org.apache.maven.plugins:maven-install-plugin:3.1.2:install-file', `-Dfile=${runtimeSdk.classPath[0]}`, `-DpomFile=${join(sdk.java, 'pom.xml')}`];
    done = offlineFirst(mvn, args, runtimeSdk.dir);
    done.catch(() => installed.delete(runtimeSdk.dir));
    installed.set(runtimeSdk.dir, done);
  }
  return done;
}

// Asks Gradle for the main source set's runtime class path after compiling it.
const gradleInit = `allprojects {
  tasks.register('pontoonClasspath') {
    dependsOn 'classes'
    doLast { println 'PONTOON_CLASSPATH=' + project.sourceSets.main.runtimeClasspath.asPath }
  }
}
`;

/** Gradle: compiles the main source set and reports its runtime class path. */
async function buildWithGradle(ctx: BuildContext): Promise<string[]> {
  const init = join(ctx.dir, 'pontoon-init.gradle');
  await writeFile(init, gradleInit);
  const output = await runTool(which('gradle') ?? toolMissing('gradle'), ['-q', '--console=plain', '-I', init, 'pontoonClasspath'], { cwd: ctx.app });
  const line = output.split('\n').find((text) => text.startsWith('PONTOON_CLASSPATH='));
  if (!line) throw new ToolFailure('gradle', `gradle did not report the class path:\n${output}`, null);
  return line.slice('PONTOON_CLASSPATH='.length).trim().split(':').filter(Boolean);
}

/** The source text of the file that declares a class (by package and simple name), if any. */
function findClassSource(sourceRoot: string, className: string): string | undefined {
  const parts = className.split('.');
  const simple = parts[parts.length - 1];
  const packageName = parts.slice(0, -1).join('.');
  const conventional = join(sourceRoot, ...parts) + '.java';
  const candidates = existsSync(conventional) ? [conventional] : listJava(sourceRoot);
  for (const file of candidates) {
    const text = readFileSync(file, 'utf8');
    const declaredPackage = /^\s*package\s+([\w.]+)\s*;/m.exec(text)?.[1] ?? '';
    if (declaredPackage === packageName && new RegExp(`\\b(class|record|enum)\\s+${simple}\\b`).test(text)) return text;
  }
  return undefined;
}

function toolMissing(tool: string): never {
  throw new ToolFailure(tool, `${tool} is not installed (not found on PATH)`, null);
}
