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
 * fetches. Signed with the account's auth token over the URL as sent (fragment removed) and the
 * sorted parameters. Retries once on connection failure ({@code #rc=} in the URL fragment changes
 * the count), as Twilio's default {@code rp=ct} policy does; never on an HTTP error status.
 */
final class CallbackSender implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CallbackSender.class);

  /** What one post produced: the status and body, or status -1 when it never got a response. */
  record Result(int status, String body, String contentType) {
    boolean ok() {
      return status >= 200 && status < 300;
    }
  }

  private final ExecutorService executor;
  private final HttpClient http;
  private final Supplier<Faults> faults;
  private final Function<String, String> tokenOf;
  private final int timeoutMillis;

  /** Resource SID -> its last queued callback, to keep one resource's callbacks in order. */
  private final java.util.concurrent.ConcurrentHashMap<String, CompletableFuture<?>> tails =
      new java.util.concurrent.ConcurrentHashMap<>();

  CallbackSender(Supplier<Faults> faults, Function<String, String> tokenOf, int timeoutMillis) {
    this.executor =
        Executors.newFixedThreadPool(
            8,
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

  /** A plain signed POST (inbound message, TwiML fetch, Gather action). */
  CompletableFuture<Result> post(
      String accountSid,
      String url,
      Map<String, List<String>> params,
      Consumer<Event> history,
      String kind) {
    String target = stripFragment(url);
    int retries = fragmentInt(url, "rc", 1);
    String token = tokenOf.apply(accountSid);
    String signature = new TwilioSignature(token).sign(target, params);
    HttpRequest request;
    try {
      request =
          HttpRequest.newBuilder(URI.create(target))
              .timeout(Duration.ofMillis(timeoutMillis))
              .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
              .header("X-Twilio-Signature", signature)
              .header("User-Agent", "TwilioProxy/1.1")
              .header("I-Twilio-Idempotency-Token", Wire.sid("ID"))
              .POST(HttpRequest.BodyPublishers.ofString(Wire.encodeForm(params)))
              .build();
    } catch (IllegalArgumentException e) {
      history.accept(Event.of(kind, "url", target, "result", "bad URL"));
      return CompletableFuture.completedFuture(new Result(-1, null, null));
    }
    return attempt(request, retries, history, kind, params);
  }

  private CompletableFuture<Result> attempt(
      HttpRequest request,
      int retriesLeft,
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
              if (retriesLeft > 0) {
                return attempt(request, retriesLeft - 1, history, kind, params);
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
