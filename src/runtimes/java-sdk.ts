import { existsSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashParts, type BuildCache } from './build-cache.js';
import { runTool, ToolFailure, which } from './build-tools.js';
import { sdkHash, type SdkLocations } from './sdk-sources.js';

/** The class that starts a Java handler (a class implementing dev.pontoon.sdk.Handler). */
export const handlerMainClass = 'dev.pontoon.runtime.HandlerMain';

/** The system property through which HandlerMain is given a function's own class path. */
export const functionClassPathProperty = 'pontoon.function.classpath';

// Compiled with the SDK, once. A class with a static main is run as a program; otherwise it is
// instantiated and served through the SDK's handler runner, its input converted to the type its
// Handler<I, O> declares (Jackson reads getType(), which is overridden here). Started as a warm
// replica (PONTOON_RUNTIME_API set), Pontoon.serve runs the replica loop (sdk/java Replica.java).
const handlerMainSource = `package dev.pontoon.runtime;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.pontoon.sdk.Context;
import dev.pontoon.sdk.Handler;
import dev.pontoon.sdk.Pontoon;
import java.io.File;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.URL;
import java.net.URLClassLoader;
import java.security.CodeSource;
import java.security.PermissionCollection;
import java.security.Permissions;

public final class HandlerMain {
  /** The system property naming the function's own class path (when the JVM's holds only the SDK). */
  static final String FUNCTION_CLASS_PATH = "pontoon.function.classpath";

  private HandlerMain() {}

  @SuppressWarnings("unchecked")
  public static void main(String[] args) throws Throwable {
    Class<?> type;
    try {
      type = Class.forName(args[0], true, functionLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      // Pontoon.fail: the attempt's failure, or in a warm replica its start failure (init/error).
      Pontoon.fail("handler " + args[0] + ": the class does not load (" + e + ")");
      return;
    }
    String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
    Method[] methods = type.getMethods();
    Method main = staticMain(methods);
    if (main != null) {
      String runtimeApi = System.getenv("PONTOON_RUNTIME_API");
      if (runtimeApi != null && !runtimeApi.isEmpty()) {
        // A program reads one input and exits: started as a warm replica it would run with none.
        Pontoon.fail("handler " + args[0] + " is a program (it has a static main), which runs on demand only: implement dev.pontoon.sdk.Handler to run in warm replicas");
        return;
      }
      try {
        main.invoke(null, (Object) rest);
      } catch (java.lang.reflect.InvocationTargetException e) {
        throw e.getCause();
      }
      return;
    }
    if (!Handler.class.isAssignableFrom(type)) {
      Pontoon.fail("handler " + args[0] + " has no static main and does not implement dev.pontoon.sdk.Handler");
      return;
    }
    Handler<Object, Object> handler;
    try {
      handler = (Handler<Object, Object>) type.getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException e) {
      Pontoon.fail("cannot create handler " + args[0] + ": it needs a public no-argument constructor (" + e + ")");
      return;
    }
    Type input = inputType(type, methods);
    // A plain class goes in as is: a TypeReference subclass reads its own generic signature when
    // created, which loads the signature parser this avoids (see inputType).
    if (input instanceof Class<?> plain) {
      Pontoon.serve((Class<Object>) plain, handler);
      return;
    }
    Pontoon.serve(new TypeReference<Object>() {
      @Override
      public Type getType() {
        return input;
      }
    }, handler);
  }

  /**
   * The loader of the function's classes. When they are named by FUNCTION_CLASS_PATH rather than
   * on the JVM's class path (which then holds the SDK and Jackson, the classes its CDS archive
   * has), they are found there first: looking them up through the class path would open every
   * jar ahead of them, ~17 ms of a handler's start. The SDK, Jackson and the JDK still come
   * from the parent, so they are the archive's and a function's classes see the SDK's types.
   */
  static ClassLoader functionLoader() throws Exception {
    ClassLoader parent = HandlerMain.class.getClassLoader();
    String path = System.getProperty(FUNCTION_CLASS_PATH, "");
    if (path.isEmpty()) return parent;
    String[] entries = path.split(File.pathSeparator);
    URL[] urls = new URL[entries.length];
    for (int i = 0; i < entries.length; i++) urls[i] = new File(entries[i]).toURI().toURL();
    ClassLoader loader = new FunctionClassLoader(urls, parent);
    Thread.currentThread().setContextClassLoader(loader);
    return loader;
  }

  /** Child-first for a function's own classes, parent-first for the platform, the SDK and Jackson. */
  static final class FunctionClassLoader extends URLClassLoader {
    static {
      ClassLoader.registerAsParallelCapable();
    }

    FunctionClassLoader(URL[] urls, ClassLoader parent) {
      super("pontoon-function", urls, parent);
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      if (sharedWithParent(name)) return super.loadClass(name, resolve);
      synchronized (getClassLoadingLock(name)) {
        Class<?> loaded = findLoadedClass(name);
        if (loaded == null) {
          try {
            loaded = findClass(name);
          } catch (ClassNotFoundException notOurs) {
            return super.loadClass(name, resolve);
          }
        }
        if (resolve) resolveClass(loaded);
        return loaded;
      }
    }

    /**
     * No permissions: functions run without a security manager, so none are checked. URLClassLoader
     * would open a URL connection per class path entry to work them out, and load the JDK's
     * security properties, ~4 ms of a handler's start.
     */
    @Override
    protected PermissionCollection getPermissions(CodeSource source) {
      return new Permissions();
    }

    private static boolean sharedWithParent(String name) {
      return name.startsWith("java.") || name.startsWith("javax.") || name.startsWith("jdk.") || name.startsWith("sun.")
          || name.startsWith("com.sun.") || name.startsWith("dev.pontoon.") || name.startsWith("com.fasterxml.jackson.");
    }
  }

  /**
   * The class's public static main(String[]), or null. Looked for among its methods rather than
   * with getMethod, whose NoSuchMethodException builds its message with a stream and a lambda:
   * spinning that lambda's class cost ~8 ms of every handler's start.
   */
  static Method staticMain(Method[] methods) {
    for (Method method : methods) {
      if (method.getName().equals("main") && Modifier.isStatic(method.getModifiers())
          && method.getParameterCount() == 1 && method.getParameterTypes()[0] == String[].class) {
        return method;
      }
    }
    return null;
  }

  /**
   * The I of the Handler<I, O> a class implements. Read from its one handle(I, Context) method
   * when I is a plain class (a record, a bean, Object): reading the generic declaration instead
   * parses signatures with ~25 classes of its own, ~2 ms of every start.
   */
  static Type inputType(Class<?> type, Method[] methods) {
    Method handle = null;
    for (Method method : methods) {
      if (method.getName().equals("handle") && !method.isBridge() && method.getParameterCount() == 2
          && method.getParameterTypes()[1] == Context.class) {
        if (handle != null) return declaredInputType(type);
        handle = method;
      }
    }
    Class<?> input = handle == null ? null : handle.getParameterTypes()[0];
    // Asked first: getTypeParameters() starts the signature parser, even for a class without any.
    if (input == Object.class) return input;
    if (input == null || input.isArray() || input.isPrimitive() || input.getTypeParameters().length > 0) return declaredInputType(type);
    return input;
  }

  /** The I spelled out in the Handler<I, O> a class implements, or Object when it is not. */
  static Type declaredInputType(Class<?> type) {
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      for (Type implemented : c.getGenericInterfaces()) {
        if (implemented instanceof ParameterizedType p && p.getRawType() == Handler.class) {
          Type argument = p.getActualTypeArguments()[0];
          return argument instanceof Class<?> || argument instanceof ParameterizedType ? argument : Object.class;
        }
      }
    }
    return Object.class;
  }
}
`;

/** The class the CDS warm-up runs as a handler (SDK code only: no function's code runs at build time). */
export const warmupClass = 'dev.pontoon.runtime.Warmup';

// The CDS warm-up: run through HandlerMain like a function's handler, it reads a plain input, then
// converts typed inputs (a record, a bean, a generic list) and writes typed results, so the archive
// holds the classes both the plain JSON path and jackson-databind load. Measured on the dev VM: a
// typed handler 390 -> 170 ms with databind in the archive, while a plain one is no slower for it.
const warmupSource = `package dev.pontoon.runtime;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.pontoon.sdk.Context;
import dev.pontoon.sdk.Handler;
import dev.pontoon.sdk.Pontoon;
import java.util.List;
import java.util.Map;

public final class Warmup implements Handler<Object, Object> {
  record Range(int from, long to, double step, String name, List<String> tags, boolean open) {}

  public static final class Bean {
    public int count;
    public String label;
    public Map<String, Object> extra;
  }

  @Override
  public Object handle(Object input, Context ctx) {
    ctx.remaining();
    Pontoon.invoke(Range.class, (range, c) -> range, "{\\"from\\":1,\\"to\\":2,\\"step\\":0.5,\\"name\\":\\"n\\",\\"tags\\":[\\"t\\"],\\"open\\":true}", ctx);
    Pontoon.invoke(Bean.class, (bean, c) -> bean, "{\\"count\\":1,\\"label\\":\\"l\\",\\"extra\\":{\\"k\\":[1]},\\"unknown\\":null}", ctx);
    Pontoon.invoke(new TypeReference<List<Integer>>() {}, (list, c) -> list.size(), "[1,2,3]", ctx);
    Pontoon.invoke(int[].class, (array, c) -> array, "[1,2]", ctx);
    return Map.of("input", input == null ? "null" : input, "list", List.of(1, 2.5, "x", true));
  }
}
`;

/** The SDK's jar in its cache directory. */
const sdkJar = 'pontoon-sdk.jar';

/** The Java SDK compiled for functions: its class path and its directory in the build cache. */
export interface JavaSdk {
  /**
   * The SDK's jar (with HandlerMain) followed by its dependency jars: all jars, because a CDS
   * archive can only be dumped from a class path without (non-empty) directories.
   */
  classPath: string[];
  /** The SDK directory in the cache. */
  dir: string;
}

/**
 * Flags that make javac itself start faster: a compile of a few files is dominated by the JVM
 * warming up, and C1 alone compiles javac's hot paths soon enough (not yet measured here).
 */
export const fastJavac = ['-J-XX:TieredStopAtLevel=1', '-J-XX:+UseSerialGC', '-J-Xshare:auto'];

/** The SDK's libraries (Jackson) in its cache directory, as Maven copied them there. */
const libDir = 'lib';

/**
 * maven-dependency-plugin, pinned: named by its prefix alone, Maven would look its newest version
 * up online on every build. The SDK's fetch and Maven builds of functions share this one.
 */
export const dependencyPlugin = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

/**
 * Compiles the Java SDK once per SDK content hash into the build cache, with the libraries its
 * pom.xml names: fetched by Maven on the first build, then copied from Maven's local repository.
 */
export async function javaSdk(cache: BuildCache, sdk: SdkLocations): Promise<JavaSdk> {
  // The runner classes written here are part of what is built, so they are part of the key.
  const key = `sdk-java-${hashParts([await sdkHash(sdk.java), handlerMainSource, warmupSource, dependencyPlugin]).slice(0, 20)}`;
  const dir = await cache.ensure(key, async (tmp) => {
    const jars = await fetchSdkLibraries(sdk.java, join(tmp, libDir));
    const sources = listJava(join(sdk.java, 'src', 'main', 'java'));
    const bootstrapDir = join(tmp, 'bootstrap', 'dev', 'pontoon', 'runtime');
    await mkdir(bootstrapDir, { recursive: true });
    await writeFile(join(bootstrapDir, 'HandlerMain.java'), handlerMainSource);
    sources.push(join(bootstrapDir, 'HandlerMain.java'));
    await writeFile(join(bootstrapDir, 'Warmup.java'), warmupSource);
    sources.push(join(bootstrapDir, 'Warmup.java'));
    await runTool('javac', [...fastJavac, '-encoding', 'UTF-8', '-proc:none', '-d', join(tmp, 'classes'), '-cp', jars.join(':'), ...sources], { cwd: tmp });
    await runTool('jar', ['cf', join(tmp, sdkJar), '-C', join(tmp, 'classes'), '.'], { cwd: tmp });
  });
  return { classPath: [join(dir, sdkJar), ...jarsIn(join(dir, libDir))], dir };
}

/**
 * Copies the SDK's runtime dependencies into `target` with Maven, which downloads what its local
 * repository lacks (on a new machine: Jackson and the dependency plugin, ~25 MB, ~14 s here) and
 * otherwise works offline. Copies rather than pointing into the repository: the class path (and
 * the CDS archive dumped with it) then stays valid whatever becomes of the repository, and it no
 * longer matters where that repository is (Maven finds it from user.home and settings.xml, not
 * from $HOME). Two processes fetching at once are safe: Maven downloads each file to a temporary
 * file under a lock and renames it, and each build copies into its own temporary directory.
 */
async function fetchSdkLibraries(sdkDir: string, target: string): Promise<string[]> {
  const pom = join(sdkDir, 'pom.xml');
  const mvn = which('mvn');
  if (!mvn) {
    throw new ToolFailure('mvn', `the Java SDK needs the libraries that ${pom} names (Jackson), and Pontoon fetches them with Maven, which is not installed (mvn not found on PATH): install Maven (Debian: apt-get install maven), then deploy again`, null);
  }
  const args = ['-B', '-q', '-f', pom, `${dependencyPlugin}:copy-dependencies`, '-DincludeScope=runtime', `-DoutputDirectory=${target}`];
  try {
    await runTool(mvn, args, { cwd: sdkDir, timeoutMs: 5 * 60_000 });
  } catch (thrown) {
    if (!(thrown instanceof ToolFailure)) throw thrown;
    throw new ToolFailure(
      'mvn',
      `cannot fetch the Java SDK's libraries (named in ${pom}) with Maven, which downloads them into its local repository once. ` +
        `Check that this machine reaches Maven Central (or the mirror or proxy in ~/.m2/settings.xml), then deploy again; ` +
        `\`mvn -B -f ${pom} ${dependencyPlugin}:resolve\` shows the same error. Maven said:\n${thrown.output.trim()}`,
      thrown.exitCode,
    );
  }
  const jars = jarsIn(target);
  if (jars.length === 0) throw new ToolFailure('mvn', `Maven copied no libraries of ${pom} into ${target}`, null);
  return jars;
}

/** The .jar files in a directory, in name order (the class path must be the same on every call). */
function jarsIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.jar'))
    .sort()
    .map((name) => join(dir, name));
}

/** Every .java file under a directory. */
export function listJava(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.java'))
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name))
    .sort();
}
