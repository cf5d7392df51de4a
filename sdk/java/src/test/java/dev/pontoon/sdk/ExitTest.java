package dev.pontoon.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("exit paths: a real child JVM under the function contract")
class ExitTest {
  @TempDir Path dir;

  private record Run(int exitCode, String stdout, String stderr) {}

  private Run run(String mode, String input) throws IOException, InterruptedException {
    return run(mode, input, Map.of());
  }

  private Run run(String mode, String input, Map<String, String> extra) throws IOException, InterruptedException {
    Files.writeString(dir.resolve("input.json"), input);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"), Fixture.class.getName(), mode));
    Map<String, String> env = builder.environment();
    env.put(Contract.INPUT, dir.resolve("input.json").toString());
    env.put(Contract.OUTPUT, dir.resolve("output.json").toString());
    env.put(Contract.ERROR, dir.resolve("error.txt").toString());
    env.put(Contract.ATTEMPT, "2");
    env.put(Contract.FUNCTION, "primes");
    env.putAll(extra);
    builder.redirectOutput(dir.resolve("stdout.txt").toFile());
    builder.redirectError(dir.resolve("stderr.txt").toFile());
    Process process = builder.start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the child JVM did not exit");
    }
    return new Run(process.exitValue(), read("stdout.txt"), read("stderr.txt"));
  }

  private String read(String name) throws IOException {
    Path path = dir.resolve(name);
    return Files.exists(path) ? Files.readString(path, StandardCharsets.UTF_8) : null;
  }

  @Test
  @DisplayName("done(result) writes the result file and exits 0; the logger's lines reach stdout")
  void watcherDone() throws Exception {
    Run run = run("watcher-done", "[10, 30]");
    assertEquals(0, run.exitCode(), run.stderr());
    assertEquals("[11,13,17,19,23,29]", read("output.json"));
    assertEquals(null, read("error.txt"));
    assertTrue(run.stdout().contains("[INFO] attempt 2 of primes"), run.stdout());
  }

  @Test
  @DisplayName("fail(message) writes the message to the error file and exits 1")
  void watcherFail() throws Exception {
    Run run = run("watcher-fail", "null");
    assertEquals(1, run.exitCode());
    assertEquals("no primes today", read("error.txt"));
    assertEquals(null, read("output.json"));
  }

  @Test
  @DisplayName("serve runs the handler and writes its result")
  void serveSuccess() throws Exception {
    Run run = run("serve", "[1, 10]");
    assertEquals(0, run.exitCode(), run.stderr());
    assertEquals("[2,3,5,7]", read("output.json"));
  }

  @Test
  @DisplayName("serve turns a thrown exception into a failure with its message and exit 1")
  void serveException() throws Exception {
    Run run = run("serve", "[10, 1]");
    assertEquals(1, run.exitCode());
    assertEquals("from > to", read("error.txt"));
    assertFalse(Files.exists(dir.resolve("output.json")));
    assertTrue(run.stderr().contains("[ERROR] java.lang.IllegalArgumentException: from > to"), run.stderr());
  }

  @Test
  @DisplayName("serve fails with a clear message when the input is not JSON")
  void serveBadInput() throws Exception {
    Run run = run("serve", "[1,");
    assertEquals(1, run.exitCode());
    assertTrue(read("error.txt").startsWith("input is not valid JSON"), read("error.txt"));
  }

  @Test
  @DisplayName("a cold run's handler sees its TRACEPARENT on the context")
  void traceContext() throws Exception {
    String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    Run run = run("trace", "null", Map.of(Contract.TRACEPARENT, traceparent));
    assertEquals(0, run.exitCode(), run.stderr());
    assertEquals("{\"traceId\":\"0af7651916cd43dd8448eb211c80319c\",\"traceparent\":\"" + traceparent + "\",\"tracestate\":null}",
        sortedJson(read("output.json")));
  }

  /** The JSON object text with its keys sorted, so the assertion does not depend on map order. */
  private static String sortedJson(String text) throws IOException {
    com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
    return mapper.writeValueAsString(new java.util.TreeMap<>(mapper.readValue(text, Map.class)));
  }
}
