import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';

const handlerSource = `import dev.pontoon.sdk.Context;
import dev.pontoon.sdk.Handler;
import java.util.List;
import java.util.Map;

public final class Greet implements Handler<Greet.Who, Object> {
  public record Who(String name, List<Integer> lucky) {}

  @Override
  public Object handle(Who who, Context ctx) {
    System.out.println("hello " + who.name());
    if (who.name().equals("nobody")) throw new IllegalArgumentException("nobody is not a name");
    return Map.of("greeting", "hello " + who.name(), "sum", who.lucky().stream().mapToInt(Integer::intValue).sum());
  }
}
`;

const programSource = `public final class Plain {
  public static void main(String[] args) {
    System.out.println("plain program");
  }
}
`;

describe('java runtime: the SDK’s class-data-sharing (CDS) archive', () => {
  let pontoon: TestPontoon;
  let source: string;

  before(async () => {
    pontoon = await startTestPontoon();
    source = mkdtempSync(join(tmpdir(), 'pontoon-cds-src-'));
    writeFileSync(join(source, 'Greet.java'), handlerSource);
    writeFileSync(join(source, 'Plain.java'), programSource);
  });
  after(async () => {
    await pontoon?.close();
    rmSync(source, { recursive: true, force: true });
  });

  const builds = () => join(pontoon.dataDir, 'builds');
  const archives = () => readdirSync(builds()).filter((name) => /^sdk-java-.*-cds-/.test(name) && !name.includes('.tmp-'));
  const launchOf = (prefix: string) => {
    const dir = readdirSync(builds()).find((name) => name.startsWith('java-') && !name.includes('.tmp-') && readFileSync(join(builds(), name, 'launch.json'), 'utf8').includes(prefix));
    assert.ok(dir, `a java build launching ${prefix}`);
    return JSON.parse(readFileSync(join(builds(), dir, 'launch.json'), 'utf8')) as { command: string[] };
  };
  const invoke = async (name: string, input: unknown) => {
    const run = await pontoon.request('POST', `/v1/namespaces/default/functions/${name}/invoke?wait=60s`, input);
    const logs = await pontoon.request('GET', `/v1/namespaces/default/executions/${run.body.id}/logs`);
    return { execution: run.body, lines: (logs.body.items as { line: string }[]).map((item) => item.line) };
  };

  it('a handler’s deploy dumps an archive from the SDK alone, and the handler is launched with it', async () => {
    const answer = await pontoon.deploy('cds-greet', { runtime: 'java', source, handler: 'Greet', retry: { limit: 0 } });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.equal(archives().length, 1);
    const archive = join(builds(), archives()[0], 'sdk.jsa');
    assert.ok(existsSync(archive), 'the archive file exists');
    const { command } = launchOf('Greet');
    assert.ok(command.includes(`-XX:SharedArchiveFile=${archive}`), command.join(' '));
    // The archive is used only when the launch's class path starts with the one it was dumped with;
    // the function's own entries are handed to HandlerMain's loader instead.
    const classPath = command[command.indexOf('-cp') + 1].split(':');
    assert.match(classPath[0], /pontoon-sdk\.jar$/);
    assert.ok(classPath.every((entry) => entry.endsWith('.jar')), classPath.join(':'));
    assert.ok(command.some((arg) => arg.startsWith('-Dpontoon.function.classpath=') && arg.includes('/classes')), command.join(' '));

    const { execution, lines } = await invoke('cds-greet', { name: 'ada', lucky: [3, 4] });
    assert.equal(execution.status, 'succeeded', JSON.stringify(execution));
    assert.deepEqual(execution.result, { greeting: 'hello ada', sum: 7 });
    assert.deepEqual(lines, ['hello ada']);
  });

  it('a second function reuses the same archive rather than dumping one per build', async () => {
    const other = mkdtempSync(join(tmpdir(), 'pontoon-cds-src-'));
    try {
      writeFileSync(join(other, 'Greet.java'), handlerSource.replace('hello ', 'hi '));
      assert.equal((await pontoon.deploy('cds-greet-2', { runtime: 'java', source: other, handler: 'Greet' })).status, 201);
      assert.equal(archives().length, 1);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('a handler that throws still fails with the exception’s message', async () => {
    const { execution } = await invoke('cds-greet', { name: 'nobody', lucky: [] });
    assert.equal(execution.status, 'failed');
    assert.equal(execution.error, 'nobody is not a name');
  });

  it('a handler’s classes load through their own loader: its nested types, resources and the context class loader work', async () => {
    const own = mkdtempSync(join(tmpdir(), 'pontoon-cds-src-'));
    try {
      writeFileSync(join(own, 'greeting.txt'), 'salut');
      writeFileSync(
        join(own, 'Lookup.java'),
        `import dev.pontoon.sdk.Context;
import dev.pontoon.sdk.Handler;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

public final class Lookup implements Handler<Lookup.Ask, String> {
  public record Ask(String name) {}

  @Override
  public String handle(Ask ask, Context ctx) throws Exception {
    try (InputStream in = Lookup.class.getResourceAsStream("/greeting.txt")) {
      String greeting = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      Class<?> self = Class.forName("Lookup$Ask", false, Thread.currentThread().getContextClassLoader());
      return greeting + " " + ask.name() + " " + (self == Ask.class);
    }
  }
}
`,
      );
      assert.equal((await pontoon.deploy('cds-lookup', { runtime: 'java', source: own, handler: 'Lookup', retry: { limit: 0 } })).status, 201);
      const { execution } = await invoke('cds-lookup', { name: 'ada' });
      assert.equal(execution.status, 'succeeded', JSON.stringify(execution));
      assert.equal(execution.result, 'salut ada true');
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('a handler extending a generic base gets its input as the type its handle() takes, and reads its deadline', async () => {
    const own = mkdtempSync(join(tmpdir(), 'pontoon-cds-src-'));
    try {
      writeFileSync(
        join(own, 'Base.java'),
        `import dev.pontoon.sdk.Context;
import dev.pontoon.sdk.Handler;

public abstract class Base<T> implements Handler<T, Object> {}
`,
      );
      writeFileSync(
        join(own, 'Span.java'),
        `import dev.pontoon.sdk.Context;
import java.time.Duration;

public final class Span extends Base<Span.Range> {
  public record Range(int from, int to) {}

  @Override
  public Object handle(Range range, Context ctx) {
    boolean deadlineAhead = ctx.deadline().isPresent() && ctx.remaining().compareTo(Duration.ZERO) > 0;
    return (range.to() - range.from()) + " " + deadlineAhead;
  }
}
`,
      );
      assert.equal((await pontoon.deploy('cds-span', { runtime: 'java', source: own, handler: 'Span', retry: { limit: 0 } })).status, 201);
      const { execution } = await invoke('cds-span', { from: 3, to: 10 });
      assert.equal(execution.status, 'succeeded', JSON.stringify(execution));
      assert.equal(execution.result, '7 true');
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('a program with a static main is launched without the archive', async () => {
    assert.equal((await pontoon.deploy('cds-plain', { runtime: 'java', source, handler: 'Plain' })).status, 201);
    const { command } = launchOf('Plain');
    assert.ok(!command.some((arg) => arg.startsWith('-XX:SharedArchiveFile')), command.join(' '));
    const { execution, lines } = await invoke('cds-plain', null);
    assert.equal(execution.status, 'succeeded');
    assert.deepEqual(lines, ['plain program']);
  });

  for (const damage of ['missing', 'not an archive', 'unreadable'] as const) {
    it(`a handler still runs, with no word about it in its logs, when the archive is ${damage}`, async () => {
      const dir = join(builds(), archives()[0]);
      const archive = join(dir, 'sdk.jsa');
      const saved = readFileSync(archive);
      rmSync(archive, { force: true });
      if (damage === 'not an archive') writeFileSync(archive, 'this is not a CDS archive\n');
      if (damage === 'unreadable') mkdirSync(archive);
      try {
        const { execution, lines } = await invoke('cds-greet', { name: 'bo', lucky: [1] });
        assert.equal(execution.status, 'succeeded', JSON.stringify(execution));
        assert.deepEqual(execution.result, { greeting: 'hello bo', sum: 1 });
        assert.deepEqual(lines, ['hello bo']);
      } finally {
        rmSync(archive, { recursive: true, force: true });
        writeFileSync(archive, saved);
      }
    });
  }
});
