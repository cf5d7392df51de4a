package dev.pontoon.sdk;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The file side of the function contract, given an environment: where the input is read and where
 * the result or the failure message is written. It never exits, so it can be tested in-process.
 */
public final class Contract {
  /** Path of the file that holds the input as JSON. */
  public static final String INPUT = "PONTOON_INPUT";
  /** Path where the result is written as JSON. */
  public static final String OUTPUT = "PONTOON_OUTPUT";
  /** Path where a failing program writes its failure message. */
  public static final String ERROR = "PONTOON_ERROR";
  /** The execution id. */
  public static final String EXECUTION_ID = "PONTOON_EXECUTION_ID";
  /** The attempt number, from 1. */
  public static final String ATTEMPT = "PONTOON_ATTEMPT";
  /** The function's name. */
  public static final String FUNCTION = "PONTOON_FUNCTION";
  /** The function's namespace. */
  public static final String NAMESPACE = "PONTOON_NAMESPACE";
  /** The function's version. */
  public static final String VERSION = "PONTOON_VERSION";
  /** The attempt's deadline, an ISO 8601 timestamp. */
  public static final String DEADLINE = "PONTOON_DEADLINE";
  /** The W3C trace context of the attempt's span, when the execution has a trace. */
  public static final String TRACEPARENT = "TRACEPARENT";
  /** The W3C tracestate that goes with TRACEPARENT, when the caller sent one. */
  public static final String TRACESTATE = "TRACESTATE";
  /** Set only in a warm replica: host and port of the runtime API it takes invocations from. */
  public static final String RUNTIME_API = "PONTOON_RUNTIME_API";
  /** A warm replica's secret, sent as a bearer token on every request to the runtime API. */
  public static final String REPLICA_TOKEN = "PONTOON_REPLICA_TOKEN";
  /** Most invocations a warm replica runs at once. */
  public static final String REPLICA_CONCURRENCY = "PONTOON_REPLICA_CONCURRENCY";
  /** How many invocations a warm replica may hold beyond its concurrency, waiting for a slot (0 when unset). */
  public static final String REPLICA_PREFETCH = "PONTOON_REPLICA_PREFETCH";
  /** The replica protocol version Pontoon speaks. */
  public static final String REPLICA_PROTOCOL = "PONTOON_REPLICA_PROTOCOL";

  private final Map<String, String> env;
  private final PrintStream out;
  private final PrintStream err;

  /** A contract over an explicit environment; outside Pontoon, results go to {@code out} and failures to {@code err}. */
  public Contract(Map<String, String> env, PrintStream out, PrintStream err) {
    this.env = Map.copyOf(env);
    this.out = out;
    this.err = err;
  }

  /** The contract of this process. */
  public static Contract fromEnv() {
    return new Contract(System.getenv(), System.out, System.err);
  }

  /** The environment this contract reads. */
  public Map<String, String> env() {
    return env;
  }

  /** The input as JSON text; {@code null} when the program runs outside Pontoon (no PONTOON_INPUT). */
  public String readInputJson() {
    String path = env.get(INPUT);
    if (path == null || path.isEmpty()) return "null";
    try {
      // java.io rather than java.nio.file: the JVM has loaded these streams already, while
      // Files.readString loads ~50 classes of channels and file system providers at every start.
      try (FileInputStream in = new FileInputStream(path)) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new PontoonException("cannot read the input file " + path + " (" + INPUT + "): " + e, e);
    }
  }

  /** Writes the result JSON text to PONTOON_OUTPUT, or prints it when there is none. */
  public void writeOutputJson(String json) {
    write(OUTPUT, json, out);
  }

  /** Writes the failure message to PONTOON_ERROR, or prints it when there is none. */
  public void writeError(String message) {
    write(ERROR, message, err);
  }

  private void write(String name, String text, PrintStream fallback) {
    String path = env.get(name);
    if (path == null || path.isEmpty()) {
      fallback.println(text);
      fallback.flush();
      return;
    }
    try {
      try (FileOutputStream file = new FileOutputStream(path)) {
        file.write(text.getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new PontoonException("cannot write " + path + " (" + name + "): " + e, e);
    }
  }
}
