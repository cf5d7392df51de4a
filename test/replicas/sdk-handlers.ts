import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A warm handler function's source in one SDK language, and the spec fields that run it. */
export interface SdkHandler {
  runtime: 'python' | 'java' | 'go';
  handler?: string;
}

// The same handler in each language, chosen by its input's `kind`: `sleep` (ms), `log` (lines
// through the context's logger, gapMs apart), `fail` (throws "no such report: <name>"). It returns
// its process id, how many invocations ran at once when it started, its attempt and `echo`.
const sources: Record<SdkHandler['runtime'], Record<string, string>> = {
  python: {
    'fn.py': `import os
import threading
import time

_lock = threading.Lock()
_running = [0]


def handler(data, ctx):
    with _lock:
        _running[0] += 1
        concurrent = _running[0]
    try:
        kind = data.get("kind")
        if kind == "sleep":
            time.sleep(data["ms"] / 1000)
        elif kind == "log":
            for i in range(data["lines"]):
                ctx.logger.info("line %d of %s", i, ctx.execution_id)
                time.sleep(data["gapMs"] / 1000)
        elif kind == "fail":
            raise ValueError("no such report: " + data["name"])
        return {"pid": os.getpid(), "concurrent": concurrent, "attempt": ctx.attempt, "echo": data.get("echo")}
    finally:
        with _lock:
            _running[0] -= 1
`,
  },
  java: {
    'ex/Fn.java': `package ex;

import dev.pontoon.sdk.Context;
import dev.pontoon.sdk.Handler;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

public class Fn implements Handler<Map<String, Object>, Map<String, Object>> {
  private static final AtomicInteger RUNNING = new AtomicInteger();

  @Override
  public Map<String, Object> handle(Map<String, Object> input, Context ctx) throws Exception {
    int concurrent = RUNNING.incrementAndGet();
    try {
      switch (String.valueOf(input.get("kind"))) {
        case "sleep" -> Thread.sleep(((Number) input.get("ms")).longValue());
        case "log" -> {
          for (int i = 0; i < ((Number) input.get("lines")).intValue(); i++) {
            ctx.logger().info("line %d of %s", i, ctx.executionId());
            Thread.sleep(((Number) input.get("gapMs")).longValue());
          }
        }
        case "fail" -> throw new IllegalStateException("no such report: " + input.get("name"));
        default -> {}
      }
      Map<String, Object> result = new HashMap<>();
      result.put("pid", ProcessHandle.current().pid());
      result.put("concurrent", concurrent);
      result.put("attempt", ctx.attempt());
      result.put("echo", input.get("echo"));
      return result;
    } finally {
      RUNNING.decrementAndGet();
    }
  }
}
`,
  },
  go: {
    'main.go': `package main

import (
	"errors"
	"os"
	"sync/atomic"
	"time"

	pontoon "pontoon.dev/sdk/go"
)

type input struct {
	Kind  string \`json:"kind"\`
	Ms    int    \`json:"ms"\`
	Lines int    \`json:"lines"\`
	GapMs int    \`json:"gapMs"\`
	Name  string \`json:"name"\`
	Echo  any    \`json:"echo"\`
}

type output struct {
	Pid        int   \`json:"pid"\`
	Concurrent int32 \`json:"concurrent"\`
	Attempt    int   \`json:"attempt"\`
	Echo       any   \`json:"echo"\`
}

var running atomic.Int32

func handle(ctx *pontoon.Context, in input) (output, error) {
	concurrent := running.Add(1)
	defer running.Add(-1)
	switch in.Kind {
	case "sleep":
		time.Sleep(time.Duration(in.Ms) * time.Millisecond)
	case "log":
		for i := 0; i < in.Lines; i++ {
			ctx.Logger.Infof("line %d of %s", i, ctx.ExecutionID)
			time.Sleep(time.Duration(in.GapMs) * time.Millisecond)
		}
	case "fail":
		return output{}, errors.New("no such report: " + in.Name)
	}
	return output{Pid: os.Getpid(), Concurrent: concurrent, Attempt: ctx.Attempt, Echo: in.Echo}, nil
}

func main() { pontoon.Serve(handle) }
`,
  },
};

// The same as a program (the watcher API, run once per process): it returns its process id and echo.
const programs: Record<SdkHandler['runtime'], { files: Record<string, string>; handler: string }> = {
  python: {
    files: { 'job.py': 'import os\n\nimport pontoon_sdk\n\ndata = pontoon_sdk.get_input()\npontoon_sdk.done({"pid": os.getpid(), "echo": data["echo"]})\n' },
    handler: 'job',
  },
  java: {
    files: {
      'ex/Job.java': `package ex;

import dev.pontoon.sdk.Pontoon;
import java.util.Map;

public class Job {
  public static void main(String[] args) {
    Map<?, ?> input = (Map<?, ?>) Pontoon.getInput();
    Pontoon.done(Map.of("pid", ProcessHandle.current().pid(), "echo", input.get("echo")));
  }
}
`,
    },
    handler: 'ex.Job',
  },
  go: {
    files: {
      'job/main.go': `package main

import (
	"os"

	pontoon "pontoon.dev/sdk/go"
)

func main() {
	input, err := pontoon.GetInputAsJSON[map[string]any]()
	if err != nil {
		pontoon.Fail(err.Error())
	}
	pontoon.Done(map[string]any{"pid": os.Getpid(), "echo": input["echo"]})
}
`,
    },
    handler: './job',
  },
};

/** Writes the language's program (watcher API) into `dir` and returns the spec fields that run it. */
export function writeSdkProgram(dir: string, runtime: SdkHandler['runtime']): SdkHandler {
  for (const [name, text] of Object.entries(programs[runtime].files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return { runtime, handler: programs[runtime].handler };
}

/** Writes the language's handler into `dir` and returns the spec fields that run it. */
export function writeSdkHandler(dir: string, runtime: SdkHandler['runtime']): SdkHandler {
  for (const [name, text] of Object.entries(sources[runtime])) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return { runtime, handler: { python: 'fn.handler', java: 'ex.Fn', go: undefined }[runtime] };
}
