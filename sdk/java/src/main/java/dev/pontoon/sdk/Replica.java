package dev.pontoon.sdk;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A warm replica: the SDK's side of the runtime API, protocol 1 (docs/warm-replicas.md).
 *
 * <p>{@link Pontoon#serve} hands over to it when PONTOON_RUNTIME_API is set. Up to
 * PONTOON_REPLICA_CONCURRENCY handlers run at once on a thread pool, and two threads speak to the
 * runtime API: the main one long-polls {@code next?max=free} while no post is under way; the
 * results thread posts what has finished as one {@code results?next=F} request, F being the slots
 * free once they are accepted, and starts the invocations its answer brings: under load, one round
 * trip per batch each way. With PONTOON_REPLICA_PREFETCH, free counts that many more, claimed
 * ahead of a slot and waiting for one. Loaded only in a replica: an on-demand attempt pays nothing
 * for the HTTP client.
 */
final class Replica<I, O> {
  /** The only protocol version this SDK speaks. */
  static final String PROTOCOL_VERSION = "1";
  /** The SDK's own setting (not the protocol's): how many post cycles share the replica's slots. */
  static final String LANES = "PONTOON_REPLICA_LANES";
  /** Slots from which a replica runs two lanes when {@link #LANES} is unset: with fewer, a lane's batch is too small for the overlap to pay for its round trips. */
  static final int TWO_LANES_FROM = 8;

  private static final Duration NEXT_WAIT = Duration.ofSeconds(20);
  private static final int MAX_RESULTS = 1000;
  /** The most one next or results?next may ask for (the protocol's limit), whatever a lane may hold. */
  private static final int MAX_BATCH = 1000;
  /** How long finished outcomes wait for running handlers to join their post. */
  private static final long GATHER_NANOS = 1_000_000;
  private static final String TOO_LARGE = "the result is larger than the runtime API accepts (16 MiB a request)";

  /** What the protocol says to exit non-zero for: a 401, a bug on either side, an unreachable API. */
  static final class ExitException extends Exception {
    ExitException(String message) {
      super(message);
    }
  }

  private record Finished(String id, Outcome outcome) {}

  /** Invocations handed out, and whether the replica is draining (a results?next answer may say so). */
  private record Batch(List<Invocation> invocations, boolean draining) {}

  private final Json.Target inputType;
  private final Handler<I, O> handler;
  /** Most invocations this lane holds: its slots, and its prefetch waiting for them. */
  private final int holds;
  private final Map<String, String> env;
  private final RuntimeApi api;
  private final ExecutorService pool;
  // One lock, and a condition per waiting thread, so that each is woken only for what it waits on:
  // a handler's outcome wakes the results thread at most for the first and the last of a batch,
  // and never the loop (its slots stay held until the post is accepted). With one monitor and
  // notifyAll, each outcome woke both: ~3.5 wake-ups of the loop and of the results thread per
  // post of 8 no-op outcomes, most of the replica's CPU (in the kernel, not in Java code).
  private final ReentrantLock lock = new ReentrantLock();
  /** The loop may ask next again (a post is over with slots free) or must stop asking (draining). */
  private final Condition loopMay = lock.newCondition();
  /** A post can be gathered: its first outcome, the last running handler's, or a full post. */
  private final Condition postReady = lock.newCondition();
  /** Handed out and not yet answered by an accepted post: what holds a slot. Guarded by lock, as all below. */
  private int inFlight;
  /**
   * Handlers handed to the pool and not finished, so that a post can gather a batch. With prefetch
   * some of them wait in the pool's queue for a thread.
   */
  private int running;
  private final ArrayDeque<Finished> finished = new ArrayDeque<>();
  private boolean posting;
  private boolean draining;

  private Replica(Json.Target inputType, Handler<I, O> handler, int concurrency, int prefetch, Map<String, String> env) {
    this.inputType = inputType;
    this.handler = handler;
    this.holds = concurrency + prefetch;
    this.env = env;
    this.api = new RuntimeApi(env.get(Contract.RUNTIME_API), env.getOrDefault(Contract.REPLICA_TOKEN, ""));
    // Daemon threads, and never shut down: the process exits with System.exit, whatever a handler does.
    // One thread per slot, so that the pool's own queue (unbounded, first in first out) is where
    // prefetched invocations wait, and each starts, oldest first, as a handler of this lane ends.
    this.pool = Executors.newFixedThreadPool(concurrency, runnable -> {
      Thread thread = new Thread(runnable, "pontoon-invocation");
      thread.setDaemon(true);
      return thread;
    });
  }

  /** Runs the replica loop until Pontoon drains the replica (exit 0) or the protocol says to stop (exit 1). */
  static <I, O> void serve(Json.Target inputType, Handler<I, O> handler) {
    Map<String, String> env = System.getenv();
    String protocol = env.getOrDefault(Contract.REPLICA_PROTOCOL, "");
    if (!protocol.equals(PROTOCOL_VERSION)) {
      failStart(Contract.REPLICA_PROTOCOL + "=" + (protocol.isEmpty() ? "(unset)" : protocol)
          + ": this SDK speaks replica protocol " + PROTOCOL_VERSION + " only");
    }
    int concurrency = 0;
    try {
      concurrency = Integer.parseInt(env.getOrDefault(Contract.REPLICA_CONCURRENCY, "").trim());
    } catch (NumberFormatException e) {
      // reported below
    }
    if (concurrency < 1) {
      failStart(Contract.REPLICA_CONCURRENCY + "=" + env.get(Contract.REPLICA_CONCURRENCY) + " is not a positive integer");
    }
    int[] lanes = laneSlots(concurrency, env.get(LANES));
    int[] prefetch = splitEvenly(prefetch(env.get(Contract.REPLICA_PREFETCH)), lanes.length);
    // Each lane says how it ended: empty once drained, else why it cannot go on.
    BlockingQueue<Optional<String>> ended = new LinkedBlockingQueue<>();
    for (int i = 0; i < lanes.length; i++) {
      Replica<I, O> lane = new Replica<>(inputType, handler, lanes[i], prefetch[i], env);
      Thread thread = new Thread(() -> {
        try {
          lane.run();
          ended.add(Optional.empty());
        } catch (ExitException | RuntimeException e) {
          ended.add(Optional.of(String.valueOf(e.getMessage())));
        } catch (InterruptedException e) {
          ended.add(Optional.of("interrupted"));
        }
      }, "pontoon-lane");
      thread.setDaemon(true);
      thread.start();
    }
    // Every lane ends once Pontoon drains the replica; the first that cannot go on ends them all.
    for (int i = 0; i < lanes.length; i++) {
      Optional<String> failure;
      try {
        failure = ended.take();
      } catch (InterruptedException e) {
        failure = Optional.of("interrupted");
      }
      if (failure.isPresent()) {
        System.err.println("pontoon replica: " + failure.get());
        exit(1);
      }
    }
    exit(0);
  }

  /**
   * Splits the replica's slots evenly into lanes, each a replica loop of its own (its long poll, its
   * results posts): while the server settles and claims one lane's batch, another lane's runs. As
   * many lanes as asked (when unset, two from {@link #TWO_LANES_FROM} slots, else one), at most one
   * per slot.
   */
  static int[] laneSlots(int concurrency, String asked) {
    int count = concurrency >= TWO_LANES_FROM ? 2 : 1;
    if (asked != null && asked.matches("[0-9]{1,6}") && Integer.parseInt(asked) > 0) count = Integer.parseInt(asked);
    return splitEvenly(concurrency, Math.min(count, concurrency));
  }

  /** {@code total} in {@code count} shares that differ by at most one, the larger first. */
  static int[] splitEvenly(int total, int count) {
    int[] shares = new int[count];
    for (int i = 0; i < count; i++) shares[i] = total / count + (i < total % count ? 1 : 0);
    return shares;
  }

  /**
   * PONTOON_REPLICA_PREFETCH: 0 when unset or not a non-negative integer, as a replica that ignores
   * it loses nothing but speed.
   */
  static int prefetch(String asked) {
    String text = asked == null ? "" : asked.trim();
    return text.matches("[0-9]{1,6}") ? Integer.parseInt(text) : 0;
  }

  /** Reports why this replica cannot start to {@code /v1/init/error}, and exits 1. */
  static void failStart(String message) {
    String text = message == null || message.isEmpty() ? "the replica cannot start" : message;
    System.err.println(text);
    try {
      StringWriter body = new StringWriter();
      try (JsonGenerator json = Json.factory().createGenerator(body)) {
        json.writeStartObject();
        json.writeStringField("error", text);
        json.writeEndObject();
      }
      Map<String, String> env = System.getenv();
      new RuntimeApi(env.get(Contract.RUNTIME_API), env.getOrDefault(Contract.REPLICA_TOKEN, "")).send("POST", "/init/error", body.toString());
    } catch (IOException | ExitException | InterruptedException e) {
      System.err.println("pontoon replica: " + e.getMessage());
    }
    exit(1);
  }

  private void run() throws ExitException, InterruptedException {
    Thread poster = new Thread(this::postFinished, "pontoon-results");
    poster.setDaemon(true);
    poster.start();
    String path = "/invocations/next?wait=" + NEXT_WAIT.toMillis() + "&max=";
    while (true) {
      int free;
      lock.lock();
      try {
        while (!draining && (inFlight >= holds || posting)) loopMay.await();
        if (draining) break;
        free = room(0);
      } finally {
        lock.unlock();
      }
      RuntimeApi.Answer answer = api.send("GET", path + free, null);
      int status = answer.status();
      if (status == 204) continue;
      if (status == 410) {
        lock.lock();
        try {
          draining = true; // finish what is in flight, post it, exit 0
        } finally {
          lock.unlock();
        }
        break;
      }
      if (status != 200) throw refused("next", answer);
      start(Invocation.parseAll(answer.body(), "next").invocations());
    }
    lock.lock();
    try {
      while (inFlight > 0 || posting) loopMay.await();
    } finally {
      lock.unlock();
    }
  }

  private void start(List<Invocation> invocations) {
    lock.lock();
    try {
      inFlight += invocations.size();
      running += invocations.size();
    } finally {
      lock.unlock();
    }
    launch(invocations);
  }

  /**
   * What the lane may ask for once {@code settling} of its outcomes are accepted, never below 0: a
   * long poll and a post both answered may leave it holding more than its share for a while, as in
   * the other SDKs. Guarded by lock.
   */
  private int room(int settling) {
    return Math.max(0, Math.min(holds - inFlight + settling, MAX_BATCH));
  }

  /** Hands invocations already counted in flight and running to the handler threads (or their queue). */
  private void launch(List<Invocation> invocations) {
    for (Invocation invocation : invocations) pool.execute(() -> run(invocation));
  }

  /** Runs one invocation's handler; whatever happens, its outcome joins the finished ones. */
  private void run(Invocation invocation) {
    Outcome outcome;
    try {
      Context ctx = Context.ofInvocation(invocation.executionId, Math.max(invocation.attempt, 1), env.getOrDefault(Contract.FUNCTION, ""),
          env.getOrDefault(Contract.NAMESPACE, ""), env.getOrDefault(Contract.VERSION, ""), invocation.deadline,
          invocation.traceparent, invocation.tracestate, Logger.tagged(System.out, System.err, invocation.id), Clock.systemUTC());
      outcome = Pontoon.invoke(inputType, handler, invocation.inputJson, ctx);
    } catch (Throwable e) {
      outcome = Outcome.failed(Pontoon.messageOf(e));
    }
    lock.lock();
    try {
      finished.add(new Finished(invocation.id, outcome));
      running -= 1;
      if (finished.size() == 1 || running == 0 || finished.size() >= MAX_RESULTS) postReady.signal();
    } finally {
      lock.unlock();
    }
  }

  /**
   * The results thread: posts what has finished in one request and starts what its answer brings,
   * while handlers keep running. An answer the protocol says to exit for ends the process from
   * here, as the loop may be in a long poll for 20 s.
   */
  private void postFinished() {
    try {
      while (true) {
        List<Finished> batch = new ArrayList<>();
        int free;
        lock.lock();
        try {
          while (finished.isEmpty()) postReady.await();
          posting = true;
          // Handlers still running may be about to finish (a batch of quick ones): they join this
          // post if they do within GATHER_NANOS.
          for (long left = GATHER_NANOS; running > 0 && finished.size() < MAX_RESULTS && left > 0; ) left = postReady.awaitNanos(left);
          while (!finished.isEmpty() && batch.size() < MAX_RESULTS) batch.add(finished.poll());
          free = draining ? 0 : room(batch.size());
        } finally {
          lock.unlock();
        }
        // Lines count for an invocation only if Pontoon reads them before its result.
        System.out.flush();
        System.err.flush();
        RuntimeApi.Answer answer = post(batch, free);
        Batch more = free > 0 && answer != null ? Invocation.parseAll(answer.body(), "results") : new Batch(List.of(), false);
        // The answer's invocations hold their slots before the post is over: were posting cleared
        // first, the loop would see those slots free, ask next for them, and take part of the
        // following post's batch. Smaller batches, more requests: once the HTTP client was fast
        // enough to win that race, the server's CPU per execution rose ~30% and the drain fell to
        // 0.64-0.72x node's.
        lock.lock();
        try {
          inFlight += more.invocations().size() - batch.size();
          running += more.invocations().size();
          draining = draining || more.draining();
          posting = false;
          if (inFlight < holds || draining) loopMay.signal();
        } finally {
          lock.unlock();
        }
        launch(more.invocations());
      }
    } catch (Exception e) {
      System.err.println("pontoon replica: " + e.getMessage());
      exit(1);
    }
  }

  /** Posts outcomes, asking for up to {@code next} invocations in the same round trip; the answer, or null after a 413. */
  private RuntimeApi.Answer post(List<Finished> batch, int next) throws IOException, ExitException, InterruptedException {
    RuntimeApi.Answer answer = api.send("POST", "/invocations/results?next=" + next, resultsBody(batch));
    if (answer.status() == 413) {
      if (batch.size() > 1) {
        for (Finished one : batch) post(List.of(one), 0); // too large together: one by one
        return null;
      }
      post(List.of(new Finished(batch.get(0).id(), Outcome.failed(TOO_LARGE))), 0);
      return null;
    }
    if (answer.status() != 200) throw refused("results", answer);
    return answer;
  }

  /** The results request; results are JSON text already (the handler's output), written raw. */
  private static String resultsBody(List<Finished> batch) throws IOException {
    StringWriter body = new StringWriter();
    try (JsonGenerator json = Json.factory().createGenerator(body)) {
      json.writeStartObject();
      json.writeArrayFieldStart("results");
      for (Finished one : batch) {
        json.writeStartObject();
        json.writeStringField("id", one.id());
        if (one.outcome().ok()) {
          json.writeStringField("status", "succeeded");
          json.writeFieldName("result");
          json.writeRawValue(one.outcome().output() == null ? "null" : one.outcome().output());
        } else {
          String error = one.outcome().error();
          json.writeStringField("status", "failed");
          json.writeStringField("error", error == null || error.isEmpty() ? "failed" : error);
        }
        json.writeEndObject();
      }
      json.writeEndArray();
      json.writeEndObject();
    }
    return body.toString();
  }

  private static ExitException refused(String request, RuntimeApi.Answer answer) {
    // 400, 404 and 405 are bugs on one side or the other, and 401 means this replica was stopped:
    // the protocol says to exit non-zero for all of them.
    String body = answer.text();
    return new ExitException("the runtime API answered " + request + " with " + answer.status() + ": "
        + body.substring(0, Math.min(body.length(), 1000)));
  }

  private static void exit(int code) {
    System.out.flush();
    System.err.flush();
    System.exit(code);
  }

  /** One attempt handed to the replica by next, its input kept as JSON text for the handler's type. */
  private record Invocation(String id, String executionId, int attempt, String deadline, String inputJson, String traceparent, String tracestate) {
    /** The invocations (and the draining flag) of a next or results?next answer. */
    static Batch parseAll(byte[] body, String request) throws ExitException {
      List<Invocation> all = new ArrayList<>();
      boolean draining = false;
      try (JsonParser parser = Json.factory().createParser(body)) {
        expect(parser.nextToken() == JsonToken.START_OBJECT, request);
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String field = parser.currentName();
          JsonToken value = parser.nextToken();
          if (field.equals("draining")) {
            draining = value == JsonToken.VALUE_TRUE;
          } else if (field.equals("invocations")) {
            expect(value == JsonToken.START_ARRAY, request);
            while (parser.nextToken() == JsonToken.START_OBJECT) all.add(parseOne(parser, request));
          } else {
            parser.skipChildren();
          }
        }
      } catch (IOException e) {
        throw new ExitException(request + " answered with a body that is not the protocol's: " + e.getMessage());
      }
      return new Batch(all, draining);
    }

    private static Invocation parseOne(JsonParser parser, String request) throws IOException, ExitException {
      String id = "";
      String executionId = "";
      int attempt = 1;
      String deadline = null;
      String input = "null";
      String traceparent = null;
      String tracestate = null;
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        parser.nextToken();
        switch (field) {
          case "id" -> id = parser.getValueAsString("");
          case "executionId" -> executionId = parser.getValueAsString("");
          case "attempt" -> attempt = parser.getValueAsInt(1);
          case "deadline" -> deadline = parser.getValueAsString();
          case "input" -> input = copy(parser);
          case "traceparent" -> traceparent = parser.getValueAsString();
          case "tracestate" -> tracestate = parser.getValueAsString();
          default -> parser.skipChildren();
        }
      }
      expect(!id.isEmpty(), request);
      return new Invocation(id, executionId, attempt, deadline, input, traceparent, tracestate);
    }

    /** The value under the parser, as JSON text. */
    private static String copy(JsonParser parser) throws IOException {
      StringWriter text = new StringWriter();
      try (JsonGenerator generator = Json.factory().createGenerator(text)) {
        generator.copyCurrentStructure(parser);
      }
      return text.toString();
    }

    private static void expect(boolean shape, String request) throws ExitException {
      if (!shape) throw new ExitException(request + " answered with a body that is not the protocol's");
    }
  }
}
