import { existsSync, realpathSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { hashParts, type BuildCache } from './build-cache.js';
import { runTool } from './build-tools.js';
import { functionClassPathProperty, handlerMainClass, warmupClass, type JavaSdk } from './java-sdk.js';

/** The archive's file name in its cache directory; absent when the JVM could not make a usable one. */
const archiveName = 'sdk.jsa';

/**
 * JVM flags that load a handler's SDK and Jackson classes from a class-data-sharing archive.
 * `-Xlog:cds…=off`: a stale or mismatched archive is skipped by the JVM (-Xshare:auto, the
 * default), and without these flags it says so on stdout, which would become a line of the user's
 * logs. -Xshare itself is not given, so `JAVA_TOOL_OPTIONS=-Xshare:off` in spec.env still turns
 * sharing off (command-line flags would win over it).
 */
export function cdsFlags(archive: string): string[] {
  return [...archiveAtDumpAddress, `-XX:SharedArchiveFile=${archive}`, '-Xlog:cds=off', '-Xlog:cds+dynamic=off'];
}

/**
 * Maps the JVM's CDS archives (the JDK's own, and the SDK's) at the address they were dumped for.
 * Later JDK 17 updates relocate them to a random address by default (ArchiveRelocationMode=1),
 * which cost every start 4–9 ms of pointer patching on the 2-core dev VM; 0, the JDK's earlier
 * default, still relocates when that address is taken. The archives hold class metadata only. A
 * JVM that does not know the flag ignores it rather than refusing to start.
 */
export const archiveAtDumpAddress: readonly string[] = ['-XX:+IgnoreUnrecognizedVMOptions', '-XX:+UnlockDiagnosticVMOptions', '-XX:ArchiveRelocationMode=0'];

/**
 * Which JVM `java` is, without starting one: an archive only fits the JVM that dumped it (the JVM
 * checks this too and skips a foreign archive; keying on it makes a new one after an upgrade).
 */
export function javaIdentity(java: string): string {
  try {
    const real = realpathSync(java);
    const modules = statSync(join(dirname(dirname(real)), 'lib', 'modules'));
    return `${real}\0${modules.size}\0${modules.mtimeMs}`;
  } catch {
    return java;
  }
}

/**
 * A dynamic CDS archive of the SDK for the JVM on PATH, made once per SDK build and JVM, or
 * undefined when this JVM cannot make a usable one (never an error: a function runs without it).
 * It is dumped from an SDK-only warm-up (the Warmup handler through HandlerMain) with the SDK's
 * class path alone; a handler is launched with that same class path (its own entries go to
 * HandlerMain's loader), and the JVM uses the archive only when the class paths agree. Measured on the 2-core dev VM (java 17): a no-op untyped
 * handler 141 -> 97 ms and a typed one 390 -> 170 ms, against 57 ms for `java Hello`.
 */
export async function javaCdsArchive(cache: BuildCache, sdk: JavaSdk, java: string): Promise<string | undefined> {
  const jvm = javaIdentity(java);
  const key = `${basename(sdk.dir)}-cds-${hashParts([jvm, ...sdk.classPath]).slice(0, 16)}`;
  const dir = await cache.ensure(key, async (tmp) => {
    const archive = join(tmp, archiveName);
    const input = join(tmp, 'warmup-input.json');
    await writeFile(input, '{"name":"warm-up","values":[1,2.5,"x",true,null],"nested":{"k":{}}}');
    // With a deadline, as Pontoon gives one, so a handler that reads it finds java.time archived.
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, PONTOON_DEADLINE: '2030-01-01T00:00:00.000Z', PONTOON_INPUT: input, PONTOON_OUTPUT: join(tmp, 'warmup-output.json'), PONTOON_ERROR: join(tmp, 'warmup-error.txt') };
    const classPath = sdk.classPath.join(':');
    try {
      // Through a function class loader over an empty directory, so that its classes are archived too.
      const noFunction = join(tmp, 'no-function-classes');
      await mkdir(noFunction);
      await runTool(java, [`-XX:ArchiveClassesAtExit=${archive}`, '-cp', classPath, `-D${functionClassPathProperty}=${noFunction}`, handlerMainClass, warmupClass], { cwd: tmp, env, timeoutMs: 120_000 });
      // A JVM that died while dumping can leave a partial archive, and mapping one can crash the
      // JVM (SIGBUS seen with a truncated file): only an archive that -Xshare:on accepts is kept.
      await runTool(java, ['-Xshare:on', `-XX:SharedArchiveFile=${archive}`, '-cp', classPath, '-version'], { cwd: tmp, env, timeoutMs: 60_000 });
    } catch (thrown) {
      // Kept as a directory without the archive, so every deploy does not try again.
      await writeFile(join(tmp, 'unusable.txt'), String(thrown));
      await rm(archive, { force: true });
    }
  });
  const archive = join(dir, archiveName);
  return existsSync(archive) ? archive : undefined;
}
