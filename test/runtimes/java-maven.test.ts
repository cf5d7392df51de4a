import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';

const pom = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>greeter</artifactId>
  <version>1.0</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
    <dependency>
      <groupId>dev.pontoon</groupId>
      <artifactId>pontoon-sdk</artifactId>
      <version>0.1.0</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-compiler-plugin</artifactId>
        <version>3.13.0</version>
      </plugin>
    </plugins>
  </build>
</project>
`;

const greeter = `package com.example;

import dev.pontoon.sdk.Context;
import dev.pontoon.sdk.Handler;

public final class Greeter implements Handler<Greeter.Who, String> {
  public record Who(String name) {}

  @Override
  public String handle(Who who, Context ctx) {
    System.out.println("greeting " + who.name());
    return "hello " + who.name();
  }
}
`;

/** A Maven project: the pom, and its sources under src/main/java. */
function mavenProject(root: string, source: string): string {
  const dir = mkdtempSync(join(root, 'project-'));
  writeFileSync(join(dir, 'pom.xml'), pom);
  mkdirSync(join(dir, 'src', 'main', 'java', 'com', 'example'), { recursive: true });
  writeFileSync(join(dir, 'src', 'main', 'java', 'com', 'example', 'Greeter.java'), source);
  return dir;
}

describe('java runtime: a source with a pom.xml is built with Maven', () => {
  let pontoon: TestPontoon;
  let root: string;

  before(async () => {
    pontoon = await startTestPontoon();
    root = mkdtempSync(join(tmpdir(), 'pontoon-maven-'));
  });
  after(async () => {
    await pontoon?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('compiles the project against the SDK from the local repository and runs its handler', async () => {
    const answer = await pontoon.deploy('maven-greeter', { runtime: 'java', source: mavenProject(root, greeter), handler: 'com.example.Greeter', retry: { limit: 0 } });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    const run = await pontoon.request('POST', '/v1/namespaces/default/functions/maven-greeter/invoke?wait=60s', { name: 'ada' });
    assert.equal(run.body.status, 'succeeded', JSON.stringify(run.body));
    assert.equal(run.body.result, 'hello ada');
    const logs = await pontoon.request('GET', `/v1/namespaces/default/executions/${run.body.id}/logs`);
    assert.deepEqual((logs.body.items as { line: string }[]).map((item) => item.line), ['greeting ada']);
  });

  it('refuses a project that does not compile, with the compiler’s own message', async () => {
    const broken = mavenProject(root, greeter.replace('return "hello " + who.name();', 'return 42;'));
    const answer = await pontoon.deploy('maven-broken', { runtime: 'java', source: broken, handler: 'com.example.Greeter' });
    assert.equal(answer.status, 422, JSON.stringify(answer.body));
    assert.equal(answer.body.error.code, 'BUILD_FAILED');
    assert.match(answer.body.error.message, /Greeter\.java.*incompatible types/s);
  });
});
