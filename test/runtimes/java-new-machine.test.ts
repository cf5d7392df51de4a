import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { which } from '../../src/runtimes/build-tools.js';
import { repoRoot } from '../conformance/languages.js';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';
import { writeMavenProject } from './maven-project.js';

// A new user's machine: a HOME of its own with no Maven repository in it. Maven finds its
// repository and settings from Java's user.home, which is read from the password database rather
// than $HOME, so MAVEN_OPTS moves it too.
const saved = { HOME: process.env.HOME, MAVEN_OPTS: process.env.MAVEN_OPTS, PATH: process.env.PATH };
let home: string;
const started: TestPontoon[] = [];

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'pontoon-new-home-'));
  process.env.HOME = home;
  process.env.MAVEN_OPTS = `-Duser.home=${home}`;
});
afterEach(async () => {
  for (const pontoon of started.splice(0)) await pontoon.close();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  rmSync(home, { recursive: true, force: true });
});

async function pontoon(): Promise<TestPontoon> {
  const running = await startTestPontoon();
  started.push(running);
  return running;
}

const hello = `package com.example;

import dev.pontoon.sdk.Context;
import dev.pontoon.sdk.Handler;

public final class Hello implements Handler<String, String> {
  @Override
  public String handle(String name, Context ctx) {
    return "hello " + name;
  }
}
`;

/** A source directory with Hello.java, as a Maven project or as plain sources. */
function helloSource(maven: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'pontoon-hello-'));
  if (maven) return writeMavenProject(dir, 'hello', { Hello: hello });
  mkdirSync(join(dir, 'com', 'example'), { recursive: true });
  writeFileSync(join(dir, 'com', 'example', 'Hello.java'), hello);
  return dir;
}

async function invoke(server: TestPontoon, name: string, input: unknown): Promise<any> {
  const answer = await server.request('POST', `/v1/namespaces/default/functions/${name}/invoke?wait=60s`, JSON.stringify(input));
  assert.equal(answer.body.status, 'succeeded', JSON.stringify(answer.body));
  return answer.body.result;
}

describe('java runtime on a new machine (an empty Maven repository)', () => {
  it('fetches the SDK’s libraries itself, once, while two servers and two builds in one server start at once', { timeout: 600_000 }, async () => {
    const [first, second] = await Promise.all([pontoon(), pontoon()]);
    const plain = helloSource(false);
    const maven = helloSource(true);
    try {
      // Both servers build the SDK at the same moment into one empty repository; the first also
      // builds two functions at once, which share one SDK build.
      const deploys = await Promise.all([
        first.deploy('primes-java', { runtime: 'java', source: join(repoRoot, 'examples', 'primes-java'), handler: 'com.example.Primes', retry: { limit: 0 } }),
        first.deploy('hello', { runtime: 'java', source: plain, handler: 'com.example.Hello', retry: { limit: 0 } }),
        second.deploy('hello-maven', { runtime: 'java', source: maven, handler: 'com.example.Hello', retry: { limit: 0 } }),
      ]);
      for (const answer of deploys) assert.equal(answer.status, 201, JSON.stringify(answer.body));

      assert.deepEqual(await invoke(first, 'primes-java', [1, 20]), [2, 3, 5, 7, 11, 13, 17, 19]);
      assert.equal(await invoke(first, 'hello', 'ada'), 'hello ada');
      assert.equal(await invoke(second, 'hello-maven', 'bob'), 'hello bob');

      // Maven put what it fetched in the new user's repository, and the SDK where a pom finds it.
      const repository = join(home, '.m2', 'repository');
      assert.ok(existsSync(join(repository, 'com', 'fasterxml', 'jackson', 'core', 'jackson-databind')), 'Jackson is not in the new repository');
      assert.ok(existsSync(join(repository, 'dev', 'pontoon', 'pontoon-sdk', '0.1.0', 'pontoon-sdk-0.1.0.jar')), 'the SDK is not in the new repository');
      // One SDK build per server, each with its own copy of the libraries.
      for (const server of [first, second]) {
        const builds = readdirSync(join(server.dataDir, 'builds')).filter((name) => /^sdk-java-[0-9a-f]+$/.test(name));
        assert.equal(builds.length, 1, `${server.dataDir}: ${builds.join(', ')}`);
        assert.deepEqual(readdirSync(join(server.dataDir, 'builds', builds[0], 'lib')).sort(), ['jackson-annotations-2.17.2.jar', 'jackson-core-2.17.2.jar', 'jackson-databind-2.17.2.jar']);
      }
    } finally {
      rmSync(plain, { recursive: true, force: true });
      rmSync(maven, { recursive: true, force: true });
    }
  });

  it('fails the deploy with what failed and how to fix it when Maven cannot reach a repository', { timeout: 300_000 }, async () => {
    // Every repository mirrored to a port where nothing listens: as a machine without network.
    mkdirSync(join(home, '.m2'));
    writeFileSync(
      join(home, '.m2', 'settings.xml'),
      '<settings><mirrors><mirror><id>nowhere</id><mirrorOf>*</mirrorOf><url>http://127.0.0.1:1/maven2</url></mirror></mirrors></settings>\n',
    );
    const server = await pontoon();
    const source = helloSource(false);
    try {
      const answer = await server.deploy('hello', { runtime: 'java', source, handler: 'com.example.Hello' });
      assert.equal(answer.status, 422, JSON.stringify(answer.body));
      assert.equal(answer.body.error.code, 'BUILD_FAILED');
      const message: string = answer.body.error.message;
      assert.match(message, /cannot fetch the Java SDK's libraries \(named in \S*sdk\/java\/pom\.xml\) with Maven/);
      assert.match(message, /reaches Maven Central \(or the mirror or proxy in ~\/\.m2\/settings\.xml\)/);
      // Maven's own reason is kept: here, the refused connection to the mirror.
      assert.match(message, /Maven said:\n[\s\S]*127\.0\.0\.1:1/);
      // Nothing is left behind that a later deploy could mistake for a finished SDK build.
      assert.deepEqual(readdirSync(join(server.dataDir, 'builds')).filter((name) => name.startsWith('sdk-java')), []);
      const listed = await server.request('GET', '/v1/namespaces/default/functions/hello');
      assert.equal(listed.status, 404, JSON.stringify(listed.body));
    } finally {
      rmSync(source, { recursive: true, force: true });
    }
  });

  it('names Maven as what is missing when mvn is not installed', async () => {
    // A PATH with the JDK's tools and nothing else.
    const bin = mkdtempSync(join(home, 'bin-'));
    for (const tool of ['java', 'javac', 'jar']) symlinkSync(which(tool) ?? assert.fail(`${tool} is not installed`), join(bin, tool));
    process.env.PATH = bin;
    const server = await pontoon();
    const source = helloSource(false);
    try {
      const answer = await server.deploy('hello', { runtime: 'java', source, handler: 'com.example.Hello' });
      assert.equal(answer.status, 422, JSON.stringify(answer.body));
      assert.match(answer.body.error.message, /the Java SDK needs the libraries that \S*sdk\/java\/pom\.xml names \(Jackson\), and Pontoon fetches them with Maven, which is not installed \(mvn not found on PATH\): install Maven/);
      assert.equal(answer.body.error.details.tool, 'mvn');
    } finally {
      rmSync(source, { recursive: true, force: true });
    }
  });
});
