package dev.pontoon.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("a warm replica: serve speaks the runtime API to a real HTTP server playing the controller")
class ReplicaTest {
  @TempDir Path dir;

  private record Run(int exitCode, String stdout, String stderr) {}

  private Run run(FakeRuntimeApi api, String mode, Map<String, String> extra) throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"), Fixture.class.getName(), mode));
    Map<String, String> env = builder.environment();
    env.put(Contract.RUNTIME_API, api.address());
    env.put(Contract.REPLICA_TOKEN, FakeRuntimeApi.TOKEN);
    env.put("PONTOON_REPLICA_ID", "r-test");
    env.put(Contract.REPLICA_CONCURRENCY, String.valueOf(api.concurrency));
    env.put(Contract.REPLICA_PROTOCOL, "1");
    env.put(Contract.FUNCTION, "primes");
    env.putAll(extra);
    builder.redirectOutput(dir.resolve("stdout.txt").toFile());
    builder.redirectError(dir.resolve("stderr.txt").toFile());
    Process process = builder.start();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("the replica did not exit");
      }
    } finally {
      api.close();
    }
    return new Run(process.exitValue(), read("stdout.txt"), read("stderr.txt"));
  }

  private String read(String name) throws IOException {
    return Files.readString(dir.resolve(name), StandardCharsets.UTF_8);
  }

  private static List<Object> ranges(int count) {
    List<Object> inputs = new ArrayList<>();
    for (int i = 0; i < count; i++) inputs.add(List.of(i, i + 20));
    return inputs;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> value(Map<String, Object> result) {
    return (Map<String, Object>) result.get("result");
  }

  @Test
  @DisplayName("does not ask next for the slots a results answer filled")
  void slotsFilledByAResultsAnswer() throws Exception {
    // Each post's answer refills every slot: a next sent then waits (on Pontoon) for slots only
    // the following post frees, and takes part of its batch.
    FakeRuntimeApi api = new FakeRuntimeApi(ranges(400), 4);
    Run run = run(api, "serve-quick", Map.of());
    assertEquals(0, run.exitCode(), run.stderr());
    assertEquals(List.of(), api.violations);
    assertEquals(400, api.results.size());
    assertEquals(0, api.nextsWithNoSlot, "next requests with every slot in flight");
  }

  @Test
  @DisplayName("from 8 slots, two lanes post at once, unless PONTOON_REPLICA_LANES asks for one")
  void lanes() throws Exception {
    for (Map.Entry<String, Integer> lanes : Map.of("", 2, "1", 1).entrySet()) {
      FakeRuntimeApi api = new FakeRuntimeApi(ranges(64), 8);
      api.holdEveryResultsMs = 20;
      Run run = run(api, "serve-quick", lanes.getKey().isEmpty() ? Map.of() : Map.of(Replica.LANES, lanes.getKey()));
      assertEquals(0, run.exitCode(), run.stderr());
      assertEquals(List.of(), api.violations);
      assertEquals(64, api.results.size());
      assertEquals(lanes.getValue(), api.mostResultsAtOnce, "results posts at once, lanes " + lanes.getKey());
      assertTrue(Collections.max(api.batchesHanded) <= 8 / lanes.getValue(), api.batchesHanded.toString());
    }
  }

  @Test
  @DisplayName("with PONTOON_REPLICA_PREFETCH it asks for its slots and that many more, and still runs only its slots at once")
  void prefetch() throws Exception {
    for (int prefetch : new int[] {3, 0}) {
      FakeRuntimeApi api = new FakeRuntimeApi(ranges(4), 1);
      api.prefetch = prefetch;
      Run run = run(api, "serve-busy", prefetch == 0 ? Map.of() : Map.of(Contract.REPLICA_PREFETCH, String.valueOf(prefetch)));
      assertEquals(0, run.exitCode(), run.stderr());
      assertEquals(List.of(), api.violations);
      assertEquals(1 + prefetch, api.nextsAsked.get(0), "max of the first next, prefetch " + prefetch + ": " + api.nextsAsked);
      assertEquals(4, api.results.size());
      // The three claimed ahead wait for the slot, and still run and post once the replica drains.
      if (prefetch == 3) assertEquals(List.of(4), api.batchesHanded);
      int peak = api.results.values().stream().mapToInt(result -> (int) value(result).get("peak")).max().orElse(0);
      assertEquals(1, peak, "handlers at once, prefetch " + prefetch);
    }
  }

  @Test
  @DisplayName("reads PONTOON_REPLICA_PREFETCH as 0 unless a non-negative integer, and splits it like the slots")
  void prefetchShares() {
    assertEquals(0, Replica.prefetch(null));
    assertEquals(0, Replica.prefetch("-3"));
    assertEquals(0, Replica.prefetch("three"));
    assertEquals(56, Replica.prefetch(" 56 "));
    assertArrayEquals(new int[] {2, 1}, Replica.splitEvenly(3, 2));
    assertArrayEquals(new int[] {0, 0}, Replica.splitEvenly(0, 2));
  }

  @Test
  @DisplayName("splits its slots evenly into lanes, at most one per slot")
  void laneSlots() {
    assertArrayEquals(new int[] {4, 4}, Replica.laneSlots(8, null));
    assertArrayEquals(new int[] {7}, Replica.laneSlots(7, null));
    assertArrayEquals(new int[] {8, 8}, Replica.laneSlots(16, ""));
    assertArrayEquals(new int[] {8}, Replica.laneSlots(8, "1"));
    assertArrayEquals(new int[] {3, 2}, Replica.laneSlots(5, "2"));
    assertArrayEquals(new int[] {1}, Replica.laneSlots(1, "2"));
    assertArrayEquals(new int[] {4}, Replica.laneSlots(4, "two"));
  }

  @Test
  @DisplayName("runs every invocation, taking and posting them in batches, and exits 0 when drained")
  void batches() throws Exception {
    FakeRuntimeApi api = new FakeRuntimeApi(ranges(24), 4);
    api.holdFirstResultsMs = 300;
    Run run = run(api, "serve-busy", Map.of());
    assertEquals(0, run.exitCode(), run.stderr());
    assertEquals(List.of(), api.violations);
    assertEquals(24, api.results.size());
    api.results.forEach((id, result) -> {
      List<?> bounds = (List<?>) api.inputs.get(id);
      assertEquals("succeeded", result.get("status"));
      assertEquals(Primes.between((int) bounds.get(0), (int) bounds.get(1)), value(result).get("primes"));
      assertEquals("2099-01-01T00:00:00Z", value(result).get("deadline"), "the invocation's deadline, read by the handler");
    });
    assertTrue(Collections.max(api.batchesHanded) > 1, api.batchesHanded.toString());
    assertTrue(api.resultsPosts.stream().mapToInt(List::size).max().orElse(0) > 1, api.resultsPosts.toString());
    assertTrue(api.handedWithResults > 0, "results posts asked for the next batch (results?next=N)");
  }

  @Test
  @DisplayName("runs up to its concurrency at once and tags every line with its invocation")
  void concurrencyAndTags() throws Exception {
    FakeRuntimeApi api = new FakeRuntimeApi(ranges(12), 4);
    Run run = run(api, "serve-busy", Map.of());
    assertEquals(0, run.exitCode(), run.stderr());
    int peak = api.results.values().stream().mapToInt(result -> (int) value(result).get("peak")).max().orElse(0);
    assertTrue(peak > 1 && peak <= 4, "peak " + peak);
    Pattern line = Pattern.compile("\u001e(\\S+) \\[INFO\\] primes between (\\d+) and (\\d+), attempt 1 of (\\S+)");
    String[] lines = run.stdout().split("\n");
    assertEquals(12, lines.length, run.stdout());
    for (String text : lines) {
      Matcher match = line.matcher(text);
      assertTrue(match.matches(), text);
      assertEquals(List.of(Integer.parseInt(match.group(2)), Integer.parseInt(match.group(3))), api.inputs.get(match.group(1)));
      assertEquals(match.group(4) + "#1", match.group(1));
    }
  }

  @Test
  @DisplayName("on 410 it finishes the invocations in flight, posts them and exits 0")
  void drain() throws Exception {
    FakeRuntimeApi api = new FakeRuntimeApi(ranges(3), 8);
    Run run = run(api, "serve-busy", Map.of());
    assertEquals(0, run.exitCode(), run.stderr());
    assertEquals(3, api.inFlightAtDrain, "the 410 came while all three ran");
    assertEquals(3, api.results.size());
  }

  @Test
  @DisplayName("a thrown exception and a result that is not JSON are failed results; the stack trace is tagged")
  void failures() throws Exception {
    FakeRuntimeApi api = new FakeRuntimeApi(List.of(List.of(10, 1), "not json", List.of(1, 10)), 2);
    Run run = run(api, "serve-busy", Map.of());
    assertEquals(0, run.exitCode(), run.stderr());
    assertEquals(Map.of("id", "ex-0#1", "status", "failed", "error", "from > to"), api.results.get("ex-0#1"));
    assertEquals("failed", api.results.get("ex-1#1").get("status"));
    assertTrue(((String) api.results.get("ex-1#1").get("error")).startsWith("result is not JSON-serializable"), api.results.get("ex-1#1").toString());
    assertEquals(List.of(2, 3, 5, 7), value(api.results.get("ex-2#1")).get("primes"));
    assertTrue(run.stderr().contains("\u001eex-0#1 [ERROR] java.lang.IllegalArgumentException: from > to\n"), run.stderr());
    assertTrue(run.stderr().contains("\u001eex-0#1 [ERROR] \tat "), run.stderr());
  }

  @Test
  @DisplayName("a handler that cannot be loaded is reported to init/error and the replica exits 1")
  void initError() throws Exception {
    FakeRuntimeApi api = new FakeRuntimeApi(ranges(1), 1);
    Run run = run(api, "missing-handler", Map.of());
    assertEquals(1, run.exitCode());
    assertEquals(List.of("handler dev.pontoon.Nothing: no such class"), api.initErrors);
    assertEquals(0, api.requests.get("next"));
  }

  @Test
  @DisplayName("a protocol version it does not speak is an init error")
  void protocolVersion() throws Exception {
    FakeRuntimeApi api = new FakeRuntimeApi(ranges(1), 1);
    Run run = run(api, "serve-busy", Map.of(Contract.REPLICA_PROTOCOL, "2"));
    assertEquals(1, run.exitCode());
    assertEquals(1, api.initErrors.size());
    assertTrue(api.initErrors.get(0).contains("protocol 1"), api.initErrors.toString());
    assertEquals(0, api.requests.get("next"));
  }

  @Test
  @DisplayName("5xx answers are retried and every result arrives once")
  void retries() throws Exception {
    FakeRuntimeApi api = new FakeRuntimeApi(ranges(4), 1);
    api.failures.putAll(Map.of("next", 2, "results", 2));
    Run run = run(api, "serve-busy", Map.of());
    assertEquals(0, run.exitCode(), run.stderr());
    assertEquals(List.of(), api.violations);
    assertEquals(4, api.results.size());
    assertEquals(4, api.resultsPosts.stream().mapToInt(List::size).sum());
    assertEquals(api.resultsPosts.size() + 2, api.requests.get("results"));
  }

  @Test
  @DisplayName("a token the runtime API refuses makes the replica exit non-zero")
  void unauthorized() throws Exception {
    FakeRuntimeApi api = new FakeRuntimeApi(ranges(1), 1);
    Run run = run(api, "serve-busy", Map.of(Contract.REPLICA_TOKEN, "wrong"));
    assertNotEquals(0, run.exitCode());
    assertTrue(run.stderr().contains("401"), run.stderr());
    assertEquals(Map.of(), api.results);
  }

  @Test
  @DisplayName("a program started as a replica gets no input and fails before asking for work")
  void programForm() throws Exception {
    FakeRuntimeApi api = new FakeRuntimeApi(ranges(1), 1);
    Run run = run(api, "watcher-done", Map.of());
    assertNotEquals(0, run.exitCode());
    assertTrue(run.stderr().contains("a program runs on demand only"), run.stderr());
    assertEquals(0, api.requests.get("next"));
    assertEquals(Map.of(), api.results);
  }

  @Test
  @DisplayName("gives each invocation's handler the traceparent it carries, and none to one without")
  void traceContext() throws Exception {
    String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    FakeRuntimeApi api = new FakeRuntimeApi(java.util.Arrays.asList(null, null), 2);
    api.annotate(0, "traceparent", traceparent);
    api.annotate(0, "tracestate", "vendor=abc");
    Run run = run(api, "trace", Map.of());
    assertEquals(0, run.exitCode(), run.stderr());
    Map<String, Object> traced = new java.util.HashMap<>();
    traced.put("traceparent", traceparent);
    traced.put("tracestate", "vendor=abc");
    traced.put("traceId", "0af7651916cd43dd8448eb211c80319c");
    Map<String, Object> untraced = new java.util.HashMap<>();
    untraced.put("traceparent", null);
    untraced.put("tracestate", null);
    untraced.put("traceId", null);
    assertEquals(traced, value(api.results.get("ex-0#1")));
    assertEquals(untraced, value(api.results.get("ex-1#1")));
  }
}
