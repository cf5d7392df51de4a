import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A pom that builds a Java 17 function against the Pontoon SDK (0.1.0, from the local repository). */
export function sdkPom(artifactId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>${artifactId}</artifactId>
  <version>1.0</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
    <dependency><groupId>dev.pontoon</groupId><artifactId>pontoon-sdk</artifactId><version>0.1.0</version></dependency>
  </dependencies>
  <build><plugins><plugin>
    <groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId><version>3.13.0</version>
  </plugin></plugins></build>
</project>
`;
}

/** `com.example.Greeter`: logs `greeting <name>` and returns `hello <name>` for `{ name }`. */
export const greeterSource = `package com.example;

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

/** Writes a Maven project into `dir`: the pom, and each class of package com.example under src/main/java. */
export function writeMavenProject(dir: string, artifactId: string, classes: Record<string, string>): string {
  writeFileSync(join(dir, 'pom.xml'), sdkPom(artifactId));
  const sources = join(dir, 'src', 'main', 'java', 'com', 'example');
  mkdirSync(sources, { recursive: true });
  for (const [name, source] of Object.entries(classes)) writeFileSync(join(sources, `${name}.java`), source);
  return dir;
}
