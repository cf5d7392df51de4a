package dev.pontoon.sdk;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;

/**
 * The controller's side of the replica protocol (docs/warm-replicas.md), small enough for tests: a
 * real loopback HTTP server that hands out a fixed list of invocations, records what the replica
 * asks for and posts, checks the protocol's rules as it goes (token, max within the free slots,
 * results only for invocations in flight) and answers 410 once it has nothing left to hand out.
 */
final class FakeRuntimeApi implements AutoCloseable {
  static final String TOKEN = "test-token-0123456789";
  private static final ObjectMapper JSON = new ObjectMapper();

  final int concurrency;
  /** What the replica may hold beyond its concurrency (PONTOON_REPLICA_PREFETCH); the test sets both. */
  int prefetch;
  final Map<String, Object> inputs = new HashMap<>();
  final Map<String, Map<String, Object>> results = new HashMap<>();
  final List<Integer> batchesHanded = new ArrayList<>();
  /** What each next asked for (max), in order. */
  final List<Integer> nextsAsked = new ArrayList<>();
  final List<List<String>> resultsPosts = new ArrayList<>();
  final List<String> initErrors = new ArrayList<>();
  final List<String> violations = new ArrayList<>();
  final Map<String, Integer> requests = new HashMap<>(Map.of("next", 0, "results", 0));
  /** How many of each request are first answered 5xx, to exercise the retries. */
  final Map<String, Integer> failures = new HashMap<>();
  Integer inFlightAtDrain;
  /** Next requests that arrived while every slot was in flight and work was left to hand out. */
  int nextsWithNoSlot;
  int handedWithResults;
  long holdFirstResultsMs;
  /** Each results post is answered this late, so that posts of several lanes overlap. */
  long holdEveryResultsMs;
  int mostResultsAtOnce;
  private int resultsUnderWay;

  private final List<Map<String, Object>> pending = new ArrayList<>();
  private final Set<String> inFlight = new HashSet<>();
  private final HttpServer server;

  /** Adds a field to the invocation handed out at {@code index} (before the replica starts). */
  void annotate(int index, String field, Object value) {
    pending.get(index).put(field, value);
  }

  FakeRuntimeApi(List<Object> inputValues, int concurrency) throws IOException {
    this.concurrency = concurrency;
    for (int i = 0; i < inputValues.size(); i++) {
      Map<String, Object> invocation = new LinkedHashMap<>();
      invocation.put("id", "ex-" + i + "#1");
      invocation.put("executionId", "ex-" + i);
      invocation.put("attempt", 1);
      invocation.put("deadline", "2099-01-01T00:00:00.000Z");
      invocation.put("input", inputValues.get(i));
      pending.add(invocation);
      inputs.put("ex-" + i + "#1", inputValues.get(i));
    }
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/", this::handle);
    server.start();
  }

  /** host:port, as PONTOON_RUNTIME_API gives it. */
  String address() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getResponseHeaders().set("Pontoon-Protocol", "1");
      if (!("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
        answer(exchange, 401, error("UNAUTHORIZED", "wrong token"));
        return;
      }
      String path = exchange.getRequestURI().getPath();
      byte[] body = exchange.getRequestBody().readAllBytes();
      if (exchange.getRequestMethod().equals("GET") && path.equals("/v1/invocations/next")) {
        String query = exchange.getRequestURI().getQuery();
        int max = Integer.parseInt(query.replaceAll(".*\\bmax=(\\d+).*", "$1"));
        Object[] answer = next(max);
        answer(exchange, (int) answer[0], answer[1]);
      } else if (exchange.getRequestMethod().equals("POST") && path.equals("/v1/invocations/results")) {
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> posted = (List<Map<String, Object>>) JSON.readValue(body, Map.class).get("results");
        String query = exchange.getRequestURI().getQuery();
        int next = query == null || !query.matches(".*\\bnext=\\d+.*") ? 0 : Integer.parseInt(query.replaceAll(".*\\bnext=(\\d+).*", "$1"));
        Object[] answer = postResults(posted, next);
        answer(exchange, (int) answer[0], answer[1]);
      } else if (exchange.getRequestMethod().equals("POST") && path.equals("/v1/init/error")) {
        synchronized (this) {
          initErrors.add((String) JSON.readValue(body, Map.class).get("error"));
        }
        answer(exchange, 202, Map.of());
      } else {
        answer(exchange, 404, error("NOT_FOUND", path));
      }
    }
  }

  private synchronized Object[] next(int max) {
    if (fail("next")) return new Object[] {503, error("UNAVAILABLE", "try again")};
    nextsAsked.add(max);
    if (inFlight.size() >= concurrency + prefetch && !pending.isEmpty()) nextsWithNoSlot += 1;
    return handOut(max);
  }

  /**
   * Hands out, as Pontoon does, never more than the free slots (and prefetch room) whatever was
   * asked. Asking for more than the concurrency and prefetch is a replica's bug; asking for more
   * than is free is not (a long poll and a results post may be under way at once).
   */
  private Object[] handOut(int max) {
    int free = concurrency + prefetch - inFlight.size();
    if (max > concurrency + prefetch || max < 1) violations.add("asked for " + max + " with concurrency " + concurrency + " and prefetch " + prefetch);
    if (pending.isEmpty()) {
      if (inFlightAtDrain == null) inFlightAtDrain = inFlight.size();
      return new Object[] {410, error("REPLICA_DRAINING", "draining")};
    }
    int n = Math.max(0, Math.min(Math.min(max, free), pending.size()));
    List<Map<String, Object>> batch = new ArrayList<>(pending.subList(0, n));
    pending.subList(0, n).clear();
    for (Map<String, Object> invocation : batch) inFlight.add((String) invocation.get("id"));
    batchesHanded.add(n);
    return new Object[] {200, Map.of("invocations", batch)};
  }

  private Object[] postResults(List<Map<String, Object>> posted, int next) throws IOException {
    boolean first;
    synchronized (this) {
      if (fail("results")) return new Object[] {500, error("INTERNAL", "try again")};
      first = resultsPosts.isEmpty();
      mostResultsAtOnce = Math.max(mostResultsAtOnce, ++resultsUnderWay);
    }
    // Held first, so that other handlers finish meanwhile and the next request carries several.
    long hold = (first ? holdFirstResultsMs : 0) + holdEveryResultsMs;
    if (hold > 0) {
      try {
        Thread.sleep(hold);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    synchronized (this) {
      resultsUnderWay--;
      List<String> ids = new ArrayList<>();
      List<String> accepted = new ArrayList<>();
      List<Object> rejected = new ArrayList<>();
      for (Map<String, Object> result : posted) {
        String id = (String) result.get("id");
        ids.add(id);
        if (inFlight.remove(id)) {
          results.put(id, result);
          accepted.add(id);
        } else {
          violations.add("result for " + id + ", not in flight");
          rejected.add(Map.of("id", id, "code", "INVOCATION_NOT_IN_FLIGHT"));
        }
      }
      resultsPosts.add(ids);
      Map<String, Object> answer = new LinkedHashMap<>(Map.of("accepted", accepted, "rejected", rejected));
      if (next > 0) {
        // results?next=N: the next batch in the same round trip, as next would hand it out.
        Object[] more = handOut(next);
        if ((int) more[0] == 200) {
          @SuppressWarnings("unchecked")
          List<Object> invocations = (List<Object>) ((Map<String, Object>) more[1]).get("invocations");
          handedWithResults += invocations.size();
          answer.put("invocations", invocations);
        } else {
          answer.put("invocations", List.of());
          answer.put("draining", true);
        }
      }
      return new Object[] {200, answer};
    }
  }

  private boolean fail(String kind) {
    requests.merge(kind, 1, Integer::sum);
    int left = failures.getOrDefault(kind, 0);
    if (left == 0) return false;
    failures.put(kind, left - 1);
    return true;
  }

  private static Map<String, Object> error(String code, String message) {
    return Map.of("error", Map.of("code", code, "message", message, "details", Map.of()));
  }

  private static void answer(HttpExchange exchange, int status, Object body) throws IOException {
    byte[] data = JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, data.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(data);
    }
  }
}
