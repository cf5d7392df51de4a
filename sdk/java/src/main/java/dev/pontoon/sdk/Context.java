package dev.pontoon.sdk;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;

/** What an attempt knows about itself: ids, attempt number, deadline and a logger. */
public final class Context {
  /** What {@link #remaining()} returns when the attempt has no deadline. */
  public static final Duration UNBOUNDED = Duration.ofSeconds(Long.MAX_VALUE);

  private final String executionId;
  private final int attempt;
  private final String function;
  private final String namespace;
  private final String version;
  // PONTOON_DEADLINE as given, parsed on first use: java.time's parser loads ~170 classes, about
  // 15 ms of a Java handler's cold start, which a function that never asks for its deadline
  // should not pay. Parsing twice in a race gives the same Instant, so no lock is needed.
  private final String deadlineText;
  private Instant deadline;
  private final String traceparent;
  private final String tracestate;
  private final Logger logger;
  private final Clock clock;

  /** A context from explicit values (a warm replica builds one per execution); {@code deadline} may be null. */
  public Context(
      String executionId,
      int attempt,
      String function,
      String namespace,
      String version,
      Instant deadline,
      Logger logger,
      Clock clock) {
    this(executionId, attempt, function, namespace, version, deadline, null, null, logger, clock);
  }

  /**
   * A context from explicit values with the attempt's trace context ({@code traceparent} and
   * {@code tracestate} may be null; a malformed traceparent is ignored with its tracestate).
   */
  public Context(
      String executionId,
      int attempt,
      String function,
      String namespace,
      String version,
      Instant deadline,
      String traceparent,
      String tracestate,
      Logger logger,
      Clock clock) {
    this(executionId, attempt, function, namespace, version, (String) null, traceparent, tracestate, logger, clock);
    this.deadline = deadline;
  }

  private Context(
      String executionId,
      int attempt,
      String function,
      String namespace,
      String version,
      String deadlineText,
      String traceparent,
      String tracestate,
      Logger logger,
      Clock clock) {
    this.executionId = executionId;
    this.attempt = attempt;
    this.function = function;
    this.namespace = namespace;
    this.version = version;
    this.deadlineText = deadlineText == null || deadlineText.isBlank() ? null : deadlineText.trim();
    // As the W3C recommendation asks, a malformed traceparent is ignored, and its tracestate with it.
    String trimmed = traceparent == null ? null : traceparent.trim();
    boolean traced = traceIdOf(trimmed) != null;
    this.traceparent = traced ? trimmed : null;
    this.tracestate = traced && tracestate != null && !tracestate.isBlank() ? tracestate.trim() : null;
    this.logger = logger;
    this.clock = clock;
  }

  /**
   * The context of one invocation in a warm replica, its deadline as the runtime API gives it and
   * parsed on first use, as in a cold run: java.time's parser is the largest thing C2 compiles on
   * a replica's hot path (seconds of a compiler thread under load), for a value few handlers read.
   */
  static Context ofInvocation(
      String executionId,
      int attempt,
      String function,
      String namespace,
      String version,
      String deadlineText,
      String traceparent,
      String tracestate,
      Logger logger,
      Clock clock) {
    return new Context(executionId, attempt, function, namespace, version, deadlineText, traceparent, tracestate, logger, clock);
  }

  /** The context of this process, from its PONTOON_* environment. */
  public static Context fromEnv() {
    return fromEnv(System.getenv(), Logger.standard(), Clock.systemUTC());
  }

  /**
   * The context described by an environment; missing values are empty, attempt defaults to 1. A
   * deadline that is not ISO 8601 is reported when it is first read ({@link #deadline()},
   * {@link #remaining()}).
   */
  public static Context fromEnv(Map<String, String> env, Logger logger, Clock clock) {
    return new Context(
        env.getOrDefault(Contract.EXECUTION_ID, ""),
        parseAttempt(env.get(Contract.ATTEMPT)),
        env.getOrDefault(Contract.FUNCTION, ""),
        env.getOrDefault(Contract.NAMESPACE, ""),
        env.getOrDefault(Contract.VERSION, ""),
        env.get(Contract.DEADLINE),
        env.get(Contract.TRACEPARENT),
        env.get(Contract.TRACESTATE),
        logger,
        clock);
  }

  /** The execution id. */
  public String executionId() {
    return executionId;
  }

  /** The attempt number, from 1. */
  public int attempt() {
    return attempt;
  }

  /** The function's name. */
  public String function() {
    return function;
  }

  /** The function's namespace. */
  public String namespace() {
    return namespace;
  }

  /** The function's version. */
  public String version() {
    return version;
  }

  /** When the attempt will be stopped, if it has a deadline. */
  public Optional<Instant> deadline() {
    return Optional.ofNullable(deadlineInstant());
  }

  /** Time left before the deadline (zero once past it), or {@link #UNBOUNDED} without one. */
  public Duration remaining() {
    Instant deadline = deadlineInstant();
    if (deadline == null) return UNBOUNDED;
    Duration left = Duration.between(clock.instant(), deadline);
    return left.isNegative() ? Duration.ZERO : left;
  }

  /**
   * The W3C traceparent of this attempt's span ({@code 00-<trace id>-<span id>-<flags>}), if the
   * execution has a trace: start your own spans under it to join the execution's trace.
   */
  public Optional<String> traceparent() {
    return Optional.ofNullable(traceparent);
  }

  /** The W3C tracestate that goes with {@link #traceparent()}, if the caller sent one. */
  public Optional<String> tracestate() {
    return Optional.ofNullable(tracestate);
  }

  /** The trace id (32 hex digits) of {@link #traceparent()}, if there is one. */
  public Optional<String> traceId() {
    return Optional.ofNullable(traceIdOf(traceparent));
  }

  /** The logger for this attempt. */
  public Logger logger() {
    return logger;
  }

  /**
   * The trace id of a well-formed traceparent, else null. Checked by hand rather than with a
   * regex: java.util.regex would add its classes to every cold start that reads the context.
   */
  private static String traceIdOf(String value) {
    if (value == null || value.length() < 55) return null;
    if (value.charAt(2) != '-' || value.charAt(35) != '-' || value.charAt(52) != '-') return null;
    String version = value.substring(0, 2);
    String traceId = value.substring(3, 35);
    String spanId = value.substring(36, 52);
    String flags = value.substring(53, 55);
    if (!lowerHex(version) || !lowerHex(traceId) || !lowerHex(spanId) || !lowerHex(flags) || version.equals("ff")) return null;
    if (value.length() > 55 && (version.equals("00") || value.charAt(55) != '-')) return null;
    if (zeros(traceId) || zeros(spanId)) return null;
    return traceId;
  }

  private static boolean lowerHex(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
  }

  private static boolean zeros(String text) {
    for (int i = 0; i < text.length(); i++) if (text.charAt(i) != '0') return false;
    return true;
  }

  private static int parseAttempt(String value) {
    if (value == null) return 1;
    try {
      int attempt = Integer.parseInt(value.trim());
      return attempt >= 1 ? attempt : 1;
    } catch (NumberFormatException e) {
      return 1;
    }
  }

  private Instant deadlineInstant() {
    if (deadline == null && deadlineText != null) deadline = parseDeadline(deadlineText);
    return deadline;
  }

  private static Instant parseDeadline(String value) {
    try {
      // OffsetDateTime accepts both `Z` and `+02:00`, which Instant.parse does not on Java 17.
      return OffsetDateTime.parse(value).toInstant();
    } catch (DateTimeParseException e) {
      throw new PontoonException(Contract.DEADLINE + " is not an ISO 8601 timestamp: " + value, e);
    }
  }
}
