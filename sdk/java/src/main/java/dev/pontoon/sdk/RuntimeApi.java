package dev.pontoon.sdk;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.MalformedURLException;
import java.net.Proxy;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A warm replica's client of the runtime API (docs/warm-replicas.md): blocking HTTP/1.1 requests
 * over the JDK's {@link HttpURLConnection}, whose connections are kept alive and reused.
 *
 * <p>Not {@code java.net.http.HttpClient}: its asynchronous pipeline hands every request between
 * the caller, a selector thread and worker threads. Draining no-op invocations (concurrency 8,
 * 15,000 after 3,000 to warm up, alternating runs on a loaded 2-core machine), a replica on it
 * spent 292-447 µs of CPU per execution, most of its sampled time in that pipeline (JFR); on this
 * one, 205-219 µs, and 150 µs over 60,000, where what is left is mostly the JIT still compiling
 * (node's SDK: 63-97 µs). A blocking request on the calling thread does one round trip's work.
 */
final class RuntimeApi {
  /** One answer: the status and the body's bytes (empty when none). */
  record Answer(int status, byte[] body) {
    /** The body as text, for messages. */
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  private static final long FIRST_RETRY_MS = 100;
  private static final long MAX_RETRY_MS = 5000;
  /** The runtime API unreachable this long: the controller is gone. */
  private static final long UNREACHABLE_MS = 30_000;
  private static final int CONNECT_TIMEOUT_MS = 10_000;
  /** Beyond next's longest wait (20 s): an answer this late means the controller is stuck. */
  private static final int READ_TIMEOUT_MS = 50_000;

  private final String base;
  private final String auth;
  /**
   * The URLs asked for so far, by path: a replica asks for a few paths only (next and results
   * with 1 to concurrency), and parsing a URL per request was one of the larger methods compiled.
   */
  private final Map<String, URL> urls = new ConcurrentHashMap<>();

  RuntimeApi(String address, String token) {
    this.base = "http://" + address + "/v1";
    this.auth = "Bearer " + token;
  }

  /**
   * Sends one request and returns its answer. A 5xx is retried after 100 ms, 200 ms, ... up to
   * 5 s between tries; a connection that cannot be made or breaks is retried so for up to 30 s,
   * then it gives up.
   */
  Answer send(String method, String path, String body) throws Replica.ExitException, InterruptedException {
    byte[] payload = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
    long pause = FIRST_RETRY_MS;
    long unreachableSince = -1;
    while (true) {
      try {
        Answer answer = once(method, path, payload);
        if (answer.status() < 500) return answer;
        unreachableSince = -1;
      } catch (IOException e) {
        long now = System.nanoTime();
        if (unreachableSince < 0) {
          unreachableSince = now;
        } else if (now - unreachableSince >= UNREACHABLE_MS * 1_000_000) {
          throw new Replica.ExitException("the runtime API at " + base + " is unreachable: " + e);
        }
      }
      Thread.sleep(pause);
      pause = Math.min(pause * 2, MAX_RETRY_MS);
    }
  }

  private Answer once(String method, String path, byte[] payload) throws IOException {
    // The runtime API is on the loopback (or the pod network): never through a proxy.
    HttpURLConnection connection = (HttpURLConnection) url(path).openConnection(Proxy.NO_PROXY);
    connection.setRequestMethod(method);
    connection.setConnectTimeout(CONNECT_TIMEOUT_MS);
    connection.setReadTimeout(READ_TIMEOUT_MS);
    connection.setUseCaches(false);
    connection.setRequestProperty("Authorization", auth);
    if (payload != null) {
      // Buffered, not in fixed-length streaming mode: before a streamed POST on a kept-alive
      // connection the JDK checks the connection with a read that times out after 1 ms (and
      // throws), a millisecond added to every results round trip. A buffered body also leaves
      // right after the head. The JDK may resend a buffered POST once if a kept-alive connection
      // turns out closed, as send() resends it after an I/O error: results are safe to resend.
      connection.setDoOutput(true);
      connection.setRequestProperty("Content-Type", "application/json");
      try (OutputStream out = connection.getOutputStream()) {
        out.write(payload);
      }
    }
    int status = connection.getResponseCode();
    // Read to the end and closed, the connection goes back to the JDK's keep-alive cache.
    try (InputStream in = status >= 400 ? connection.getErrorStream() : connection.getInputStream()) {
      return new Answer(status, in == null ? new byte[0] : in.readAllBytes());
    }
  }

  private URL url(String path) throws MalformedURLException {
    URL url = urls.get(path);
    if (url == null) {
      url = new URL(base + path);
      urls.put(path, url);
    }
    return url;
  }
}
