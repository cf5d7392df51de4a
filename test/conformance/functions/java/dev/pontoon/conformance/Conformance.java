package dev.pontoon.conformance;

import dev.pontoon.sdk.Context;
import dev.pontoon.sdk.Handler;
import dev.pontoon.sdk.Pontoon;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The conformance function for Java: interprets the test vectors' actions through the SDK. */
public final class Conformance implements Handler<Map<String, Object>, Object> {
  @Override
  public Object handle(Map<String, Object> input, Context ctx) throws Exception {
    if (input == null) throw new IllegalArgumentException("input must be an object with an action");
    String action = String.valueOf(input.get("action"));
    switch (action) {
      case "echo":
        return input.get("value");
      case "fail":
        Pontoon.fail((String) input.getOrDefault("message", ""));
        return null;
      case "throw":
        throw new IllegalStateException((String) input.get("message"));
      case "log":
        for (Object line : (List<?>) input.getOrDefault("lines", List.of())) ctx.logger().info("%s", line);
        if (input.get("warn") != null) ctx.logger().warn("%s", input.get("warn"));
        if (input.get("plain") != null) System.out.println(input.get("plain"));
        return null;
      case "sleep":
        Thread.sleep(((Number) input.getOrDefault("ms", 0)).longValue());
        return "slept";
      case "exit":
        System.out.flush();
        Runtime.getRuntime().halt(((Number) input.getOrDefault("code", 0)).intValue());
        return null;
      case "raw-output":
        writeOutput((String) input.get("value"));
        System.out.flush();
        Runtime.getRuntime().halt(0);
        return null;
      case "big-output":
        return "x".repeat(((Number) input.getOrDefault("bytes", 0)).intValue());
      case "context":
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("executionId", ctx.executionId());
        context.put("attempt", ctx.attempt());
        context.put("function", ctx.function());
        context.put("namespace", ctx.namespace());
        context.put("version", String.valueOf(ctx.version()));
        context.put("deadlineInFuture", ctx.deadline().isPresent() && !ctx.remaining().isNegative() && !ctx.remaining().isZero());
        return context;
      default:
        throw new IllegalArgumentException("unknown action " + action);
    }
  }

  private static void writeOutput(String text) throws IOException {
    Files.writeString(Path.of(System.getenv("PONTOON_OUTPUT")), text, StandardCharsets.UTF_8);
  }
}
