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
  private final Instant deadline;
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
    this.executionId = executionId;
    this.attempt = attempt;
    this.function = function;
    this.namespace = namespace;
    this.version = version;
    this.deadline = deadline;
    this.logger = logger;
    this.clock = clock;
  }

  /** The context of this process, from its PONTOON_* environment. */
  public static Context fromEnv() {
    return fromEnv(System.getenv(), Logger.standard(), Clock.systemUTC());
  }

  /** The context described by an environment; missing values are empty, attempt defaults to 1. */
  public static Context fromEnv(Map<String, String> env, Logger logger, Clock clock) {
    return new Context(
        env.getOrDefault(Contract.EXECUTION_ID, ""),
        parseAttempt(env.get(Contract.ATTEMPT)),
        env.getOrDefault(Contract.FUNCTION, ""),
        env.getOrDefault(Contract.NAMESPACE, ""),
        env.getOrDefault(Contract.VERSION, ""),
        parseDeadline(env.get(Contract.DEADLINE)),
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
    return Optional.ofNullable(deadline);
  }

  /** Time left before the deadline (zero once past it), or {@link #UNBOUNDED} without one. */
  public Duration remaining() {
    if (deadline == null) return UNBOUNDED;
    Duration left = Duration.between(clock.instant(), deadline);
    return left.isNegative() ? Duration.ZERO : left;
  }

  /** The logger for this attempt. */
  public Logger logger() {
    return logger;
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

  private static Instant parseDeadline(String value) {
    if (value == null || value.isBlank()) return null;
    try {
      // OffsetDateTime accepts both `Z` and `+02:00`, which Instant.parse does not on Java 17.
      return OffsetDateTime.parse(value.trim()).toInstant();
    } catch (DateTimeParseException e) {
      throw new PontoonException(Contract.DEADLINE + " is not an ISO 8601 timestamp: " + value, e);
    }
  }
}
