package org.twiliocrm.sandbox.twilio;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.twilio.TwilioSignature;

/**
 * Posts signed form requests the way Twilio does: status callbacks, inbound messages, TwiML
 * fetches. Signed with the account's auth token (or a SharedKey with HMAC-SHA256, announced in
 * X-Twilio-Webhooks-Signature-Settings, as a Webhooks Rule signs) over the URL as sent (fragment
 * removed unless {@code sign-fragment} is set) and the sorted parameters.
 *
 * <p>Retries as Twilio's connection overrides say: {@code rc} retries (default 1) under policy
 * {@code rp} (default {@code ct}: only a failed connection). {@code rp=5xx}, {@code 4xx} or {@code
 * all} also retry on those HTTP statuses, so without overrides a 503 is not retried, as at Twilio.
 */
final class CallbackSender implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CallbackSender.class);

  /** What one post produced: the status and body, or status -1 when it never got a response. */
  record Result(int status, String body, String contentType) {
    boolean ok() {
      return status >= 200 && status < 300;
    }
  }

  /**
   * Callbacks in flight at once (each blocks a pool thread in send()). Twilio delivers callbacks
   * for many messages side by side; with 8 the whole loop was capped at 8 / (the connector's
   * durable acknowledgement time) callbacks per second, about 30/s on a loaded machine, and the
   * connector's group commit got batches of at most 8 (docs/performance.md). One resource's
   * callbacks still leave one after the other (inOrder).
   */
  static final int CONCURRENCY = 64;

  private final ExecutorService executor;
  private final HttpClient http;
  private final Supplier<Faults> faults;
  private final Function<String, String> tokenOf;
  private final int timeoutMillis;

  /** AccountSid -> token that signs instead of the configured one (a rotated token). */
  private final java.util.concurrent.ConcurrentHashMap<String, String> rotated =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** SharedKey id and secret when callbacks are signed the Webhooks Rules way; null otherwise. */
  private volatile String[] sharedKey;

  private volatile boolean signFragment;

  /** Resource SID -> its last queued callback, to keep one resource's callbacks in order. */
  private final java.util.concurrent.ConcurrentHashMap<String, CompletableFuture<?>> tails =
      new java.util.concurrent.ConcurrentHashMap<>();

  CallbackSender(Supplier<Faults> faults, Function<String, String> tokenOf, int timeoutMillis) {
    this.executor =
        Executors.newFixedThreadPool(
            CONCURRENCY,
            r -> {
              Thread t = new Thread(r, "twilio-sandbox-callbacks");
              t.setDaemon(true);
              return t;
            });
    this.http =
        // No .executor(executor): the posts below block pool threads in send(), and the client
        // needs threads of its own to complete them.
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofMillis(timeoutMillis))
            .build();
    this.faults = faults;
    this.tokenOf = tokenOf;
    this.timeoutMillis = timeoutMillis;
  }

  /**
   * A status callback: subject to the callback faults (dropped, duplicated, delayed so that a later
   * one overtakes it). Attempts are written to {@code history}.
   */
  void statusCallback(
      String accountSid, String url, Map<String, List<String>> params, Consumer<Event> history) {
    Faults f = faults.get();
    String status = first(params, "MessageStatus", first(params, "CallStatus", ""));
    String resource = first(params, "MessageSid", first(params, "CallSid", ""));
    // Out of order, as Twilio does it: an intermediate status is held back so that a later one
    // (often the final delivered) overtakes it.
    boolean intermediate = !SandboxMessage.isFinal(status) && !"completed".equals(status);
    long delay =
        intermediate && Faults.roll(f.outOfOrderCallbackRate()) ? f.outOfOrderDelayMillis() : 0;
    int copies = Faults.roll(f.duplicateCallbackRate()) ? 2 : 1;
    for (int i = 0; i < copies; i++) {
      Supplier<CompletableFuture<?>> attempt =
          () -> {
            if (Faults.roll(faults.get().callbackFailureRate())) {
              history.accept(
                  Event.of(
                      "callback",
                      "url",
                      stripFragment(url),
                      "status",
                      status,
                      "result",
                      "failed (injected fault)"));
              return CompletableFuture.completedFuture(null);
            }
            return post(accountSid, url, params, history, "callback");
          };
      if (delay > 0) {
        CompletableFuture.runAsync(
            attempt::get,
            CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS, executor));
      } else {
        inOrder(resource, attempt);
      }
    }
  }

  /**
   * Without injected faults, one resource's callbacks leave one after the other, so a consumer sees
   * disorder only when a test asks for it.
   */
  private void inOrder(String resource, Supplier<CompletableFuture<?>> attempt) {
    CompletableFuture<?>[] mine = new CompletableFuture<?>[1];
    tails.compute(
        resource,
        (k, prev) -> {
          CompletableFuture<?> start =
              prev == null ? CompletableFuture.completedFuture(null) : prev;
          mine[0] =
              start
                  .handle((v, e) -> null)
                  .thenComposeAsync(v -> attempt.get(), executor)
                  .handle((v, e) -> null);
          return mine[0];
        });
    mine[0].whenComplete((v, e) -> tails.remove(resource, mine[0]));
  }

  void signWith(String accountSid, String token) {
    if (token == null) {
      rotated.remove(accountSid);
    } else {
      rotated.put(accountSid, token);
    }
  }

  void signWithKey(String keyId, String secret) {
    sharedKey = keyId == null ? null : new String[] {keyId, secret};
  }

  void signFragment(boolean on) {
    signFragment = on;
  }

  /** A plain signed POST (inbound message, TwiML fetch, Gather action). */
  CompletableFuture<Result> post(
      String accountSid,
      String url,
      Map<String, List<String>> params,
      Consumer<Event> history,
      String kind) {
    String target = stripFragment(url);
    int retries = fragmentInt(url, "rc", 1);
    String policy = fragmentString(url, "rp", "ct");
    String[] key = sharedKey;
    String signedUrl = signFragment ? url : target;
    TwilioSignature signer =
        key != null
            ? new TwilioSignature(key[1], TwilioSignature.Algorithm.HMAC_SHA256)
            : new TwilioSignature(rotated.getOrDefault(accountSid, tokenOf.apply(accountSid)));
    String signature = signer.sign(signedUrl, params);
    HttpRequest request;
    try {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create(target))
              .timeout(Duration.ofMillis(timeoutMillis))
              .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
              .header("X-Twilio-Signature", signature)
              .header("User-Agent", "TwilioProxy/1.1")
              .header("I-Twilio-Idempotency-Token", Wire.sid("ID"))
              .POST(HttpRequest.BodyPublishers.ofString(Wire.encodeForm(params)));
      if (key != null) {
        b.header(TwilioSignature.SETTINGS_HEADER, "key=" + key[0] + ",algorithm=HMAC_SHA256");
      }
      request = b.build();
    } catch (IllegalArgumentException e) {
      history.accept(Event.of(kind, "url", target, "result", "bad URL"));
      return CompletableFuture.completedFuture(new Result(-1, null, null));
    }
    return attempt(request, retries, policy, history, kind, params);
  }

  /** Whether policy {@code rp} retries a failed or timed-out connection. */
  static boolean retriesConnectionFailure(String policy) {
    for (String p : policy.split(",")) {
      String x = p.trim();
      if (x.equals("all") || x.equals("ct") || x.equals("rt") || x.equals("tt")) {
        return true;
      }
    }
    return false;
  }

  /** Whether policy {@code rp} retries an answer with this HTTP status. */
  static boolean retriesStatus(String policy, int status) {
    for (String p : policy.split(",")) {
      String x = p.trim();
      // "all" is every failure (connection, 4xx, 5xx), never an answered 2xx or 3xx: retrying a
      // 200 posted each of the connector's callbacks (rc=3&rp=all) four times.
      if ((x.equals("all") && status >= 400)
          || (x.equals("5xx") && status >= 500 && status < 600)
          || (x.equals("4xx") && status >= 400 && status < 500)) {
        return true;
      }
    }
    return false;
  }

  private CompletableFuture<Result> attempt(
      HttpRequest request,
      int retriesLeft,
      String policy,
      Consumer<Event> history,
      String kind,
      Map<String, List<String>> params) {
    String status = first(params, "MessageStatus", first(params, "CallStatus", null));
    // Blocking send() on this sender's pool, not sendAsync(): on a machine with 2 cores the common
    // ForkJoinPool has parallelism 1, and the JDK client then completes every sendAsync() through a
    // new thread (CompletableFuture's thread-per-task fallback): a thread per callback, 40,000 in a
    // 10,000-message benchmark.
    return CompletableFuture.supplyAsync(
            () -> {
              try {
                return http.send(request, HttpResponse.BodyHandlers.ofString());
              } catch (java.io.IOException e) {
                throw new java.util.concurrent.CompletionException(e);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.util.concurrent.CompletionException(e);
              }
            },
            executor)
        .handle(
            (resp, err) -> {
              if (err == null) {
                if (retriesLeft > 0 && retriesStatus(policy, resp.statusCode())) {
                  history.accept(
                      Event.of(
                          kind,
                          "url",
                          request.uri().toString(),
                          "status",
                          status,
                          "httpStatus",
                          resp.statusCode(),
                          "result",
                          "retrying (rp=" + policy + ")"));
                  return attempt(request, retriesLeft - 1, policy, history, kind, params);
                }
                history.accept(
                    Event.of(
                        kind,
                        "url",
                        request.uri().toString(),
                        "status",
                        status,
                        "httpStatus",
                        resp.statusCode()));
                return CompletableFuture.completedFuture(
                    new Result(
                        resp.statusCode(),
                        resp.body(),
                        resp.headers().firstValue("Content-Type").orElse(null)));
              }
              history.accept(
                  Event.of(
                      kind,
                      "url",
                      request.uri().toString(),
                      "status",
                      status,
                      "result",
                      "connection failed"));
              LOG.debug("{} to {} failed: {}", kind, request.uri().getHost(), err.toString());
              if (retriesLeft > 0 && retriesConnectionFailure(policy)) {
                return attempt(request, retriesLeft - 1, policy, history, kind, params);
              }
              return CompletableFuture.completedFuture(new Result(-1, null, null));
            })
        .thenCompose(f -> f);
  }

  private static String first(Map<String, List<String>> params, String name, String def) {
    List<String> v = params.get(name);
    return v == null || v.isEmpty() ? def : v.get(0);
  }

  static String stripFragment(String url) {
    int hash = url.indexOf('#');
    return hash < 0 ? url : url.substring(0, hash);
  }

  static String fragmentString(String url, String name, String def) {
    int hash = url.indexOf('#');
    if (hash < 0) {
      return def;
    }
    for (String p : url.substring(hash + 1).split("&")) {
      if (p.startsWith(name + "=")) {
        return p.substring(name.length() + 1);
      }
    }
    return def;
  }

  static int fragmentInt(String url, String name, int def) {
    int hash = url.indexOf('#');
    if (hash < 0) {
      return def;
    }
    for (String p : url.substring(hash + 1).split("&")) {
      if (p.startsWith(name + "=")) {
        try {
          return Math.max(0, Integer.parseInt(p.substring(name.length() + 1)));
        } catch (NumberFormatException e) {
          return def;
        }
      }
    }
    return def;
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
