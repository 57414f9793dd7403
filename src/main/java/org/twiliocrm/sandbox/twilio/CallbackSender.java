package org.twiliocrm.sandbox.twilio;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.util.ArrayDeque;
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
   * Callbacks in flight at once (posting slots, not threads: the posts are asynchronous). Twilio
   * delivers callbacks for many messages side by side; with 8 the whole loop was capped at 8 / (the
   * connector's durable acknowledgement time) callbacks per second, about 30/s on a loaded machine,
   * and the connector's group commit got batches of at most 8 (docs/performance.md). One resource's
   * callbacks still leave one after the other (inOrder).
   */
  static final int CONCURRENCY = 64;

  private final ExecutorService executor;
  private final Vertx vertx;
  private final HttpClient http;
  private final Supplier<Faults> faults;
  private final Function<String, String> tokenOf;
  private final int timeoutMillis;

  /** AccountSid -> token that signs instead of the configured one (a rotated token). */
  private final java.util.concurrent.ConcurrentHashMap<String, String> rotated =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Signers by algorithm and secret, made once rather than per callback (each sets up a Mac with
   * its key). Tokens and keys change only through the control API, so this stays small; it is
   * emptied if it ever holds more than 64.
   */
  private final java.util.concurrent.ConcurrentHashMap<String, TwilioSignature> signers =
      new java.util.concurrent.ConcurrentHashMap<>();

  private TwilioSignature signer(String secret, TwilioSignature.Algorithm algorithm) {
    if (signers.size() > 64) {
      signers.clear();
    }
    return signers.computeIfAbsent(
        algorithm.name() + ":" + secret, k -> new TwilioSignature(secret, algorithm));
  }

  /** SharedKey id and secret when callbacks are signed the Webhooks Rules way; null otherwise. */
  private volatile String[] sharedKey;

  private volatile boolean signFragment;

  /**
   * Resource SID -> its callbacks not yet posted, to keep one resource's callbacks in order. Only
   * resources with callbacks waiting have an entry.
   */
  private final java.util.concurrent.ConcurrentHashMap<String, Lane> lanes =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Status callbacks in the lanes, waiting or being posted: what {@link #backlog()} reads without
   * walking the lanes (the sandbox asks on every message create).
   */
  private final java.util.concurrent.atomic.AtomicInteger backlog =
      new java.util.concurrent.atomic.AtomicInteger();

  /**
   * A status callback waiting for its turn: what it takes to post it, its parameters built only
   * when it leaves. The whole loop's connector acknowledges callbacks more slowly than the sandbox
   * makes them, so the backlog grows with a run (137,000 futures and lambdas at 18,000 messages
   * when each callback was a chain of futures over a built parameter map): a few dozen bytes each.
   */
  private record Pending(
      String accountSid,
      String url,
      String status,
      Supplier<Map<String, List<String>>> params,
      Consumer<Event> history) {}

  /**
   * One resource's waiting callbacks, oldest first; the head is the one being posted. A lane is in
   * the ready queue, or posting, exactly while it has callbacks: it posts its head, then goes to
   * the back of the queue for the next one, so resources take turns and one resource's callbacks
   * leave one after the other. Its deque is changed only inside {@code lanes.compute} for its
   * resource (adding and the last removal are then atomic) and under its own lock.
   */
  private final class Lane implements Runnable {
    private final String resource;
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>(4);

    Lane(String resource) {
      this.resource = resource;
    }

    /** Starts posting the head; the lane's turn ends when that post (and its retries) ends. */
    @Override
    public void run() {
      Pending head;
      synchronized (this) {
        head = waiting.peek();
      }
      Future<?> posted;
      try {
        posted = postAsync(head);
      } catch (RuntimeException e) {
        posted = Future.failedFuture(e);
      }
      // A backstop: the post's own timers end each try after timeoutMillis, so this fires only
      // if a post never ends at all (a connection that never came from the pool). The lane's
      // slot must not leak with it.
      boolean[] ended = {false};
      long backstop =
          vertx.setTimer(
              3L * timeoutMillis * (fragmentInt(head.url(), "rc", 1) + 1),
              id -> endTurn(ended, "no answer at all for " + resource));
      posted.onComplete(
          x -> {
            vertx.cancelTimer(backstop);
            endTurn(
                ended, x.failed() ? "callback for " + resource + " failed: " + x.cause() : null);
          });
    }

    private void endTurn(boolean[] ended, String problem) {
      synchronized (ended) {
        if (ended[0]) {
          return;
        }
        ended[0] = true;
      }
      if (problem != null) {
        LOG.debug(problem);
      }
      turnEnded();
      next();
    }

    private void next() {
      boolean[] more = {false};
      backlog.decrementAndGet();
      lanes.compute(
          resource,
          (k, l) -> {
            synchronized (this) {
              waiting.poll();
              more[0] = !waiting.isEmpty();
            }
            return more[0] ? this : null;
          });
      if (more[0]) {
        submit(this);
      }
    }
  }

  /**
   * Lanes whose turn has come, waiting for one of the {@link #CONCURRENCY} posting slots. The posts
   * themselves are asynchronous (the sandbox's Vert.x client on its event loops): a slot is a
   * count, not a thread. The pool of 64 threads that each blocked on one post cost 64 threads'
   * stacks and a thread switch per post.
   */
  private final java.util.concurrent.ConcurrentLinkedQueue<Lane> ready =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  private final java.util.concurrent.atomic.AtomicInteger posting =
      new java.util.concurrent.atomic.AtomicInteger();

  private volatile boolean closed;

  CallbackSender(
      Vertx vertx, Supplier<Faults> faults, Function<String, String> tokenOf, int timeoutMillis) {
    // Only the plain posts (inbound messages, TwiML fetches), whose callers wait for the answer,
    // still take a thread here; status callbacks take none.
    this.executor =
        Executors.newFixedThreadPool(
            CONCURRENCY,
            r -> {
              Thread t = new Thread(r, "twilio-sandbox-callbacks");
              t.setDaemon(true);
              return t;
            });
    // The sandbox's own Vert.x client, its I/O on the sandbox's event loops, a keep-alive
    // connection per lane at most. The JDK's HttpClient did the same posts at about 370 us of CPU
    // each (its worker and selector threads, 1.1 ms per message on the whole loop) and grew a
    // cached pool of worker threads with the load (76 in a 10,000-message run).
    this.http =
        vertx.createHttpClient(
            // An idle connection is dropped after 10 s, before a server is likely to close it
            // first (a post racing that close would fail as a connection error).
            new HttpClientOptions()
                .setConnectTimeout(timeoutMillis)
                .setKeepAlive(true)
                .setKeepAliveTimeout(10),
            new PoolOptions().setHttp1MaxSize(CONCURRENCY));
    this.vertx = vertx;
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
    statusCallback(
        accountSid,
        url,
        messageOrCall(params, "MessageSid", "CallSid", ""),
        messageOrCall(params, "MessageStatus", "CallStatus", ""),
        () -> params,
        history);
  }

  /**
   * The same, for a resource's status, with parameters built when the callback leaves: while it
   * waits behind the resource's earlier callbacks it holds only what {@code params} captured.
   */
  void statusCallback(
      String accountSid,
      String url,
      String resource,
      String status,
      Supplier<Map<String, List<String>>> params,
      Consumer<Event> history) {
    Faults f = faults.get();
    // Out of order, as Twilio does it: an intermediate status is held back so that a later one
    // (often the final delivered) overtakes it.
    boolean intermediate = !SandboxMessage.isFinal(status) && !"completed".equals(status);
    long delay =
        intermediate && Faults.roll(f.outOfOrderCallbackRate()) ? f.outOfOrderDelayMillis() : 0;
    int copies = Faults.roll(f.duplicateCallbackRate()) ? 2 : 1;
    Pending p = new Pending(accountSid, url, status, params, history);
    for (int i = 0; i < copies; i++) {
      if (delay > 0) {
        vertx.setTimer(
            delay,
            id -> {
              try {
                postAsync(p);
              } catch (RuntimeException e) {
                LOG.debug("callback for {} failed: {}", resource, e.toString());
              }
            });
      } else {
        inOrder(resource, p);
      }
    }
  }

  /** Posts one waiting callback now, on this thread (subject to the injected callback failures). */
  private Future<?> postAsync(Pending p) {
    if (Faults.roll(faults.get().callbackFailureRate())) {
      p.history()
          .accept(
              Event.of(
                  "callback",
                  "url",
                  stripFragment(p.url()),
                  "status",
                  p.status(),
                  "result",
                  "failed (injected fault)"));
      return Future.succeededFuture();
    }
    Prepared r = prepare(p.accountSid(), p.url(), p.params().get(), p.history(), "callback");
    return r == null
        ? Future.succeededFuture()
        : sendAsync(r, p.history(), "callback", r.retries());
  }

  /**
   * Without injected faults, one resource's callbacks leave one after the other, so a consumer sees
   * disorder only when a test asks for it.
   */
  private void inOrder(String resource, Pending p) {
    Lane[] idle = {null};
    Lane lane =
        lanes.compute(
            resource,
            (k, l) -> {
              Lane to = l;
              if (to == null) {
                to = new Lane(k);
                idle[0] = to;
              }
              synchronized (to) {
                to.waiting.add(p);
              }
              backlog.incrementAndGet();
              return to;
            });
    if (idle[0] == lane) {
      submit(lane);
    }
  }

  private void submit(Lane lane) {
    if (closed) {
      // The sandbox stops, and its waiting callbacks with it.
      lanes.remove(lane.resource, lane);
      return;
    }
    ready.add(lane);
    startReady();
  }

  /**
   * Starts ready lanes while fewer than {@link #CONCURRENCY} post. Each start goes through the
   * event loop rather than this stack, so a run of posts that end at once (bad URLs, injected
   * faults) cannot recurse.
   */
  private void startReady() {
    while (!ready.isEmpty()) {
      int n = posting.get();
      if (n >= CONCURRENCY) {
        return; // a turn that ends calls this again
      }
      if (!posting.compareAndSet(n, n + 1)) {
        continue;
      }
      Lane lane = ready.poll();
      if (lane == null) {
        posting.decrementAndGet();
        continue; // another thread took it; look again
      }
      vertx.runOnContext(x -> lane.run());
    }
  }

  /** A lane's post ended: its slot goes to the next ready lane. */
  private void turnEnded() {
    posting.decrementAndGet();
    startReady();
  }

  /**
   * Status callbacks waiting for their turn or being posted. Each holds its message (and the
   * message its history) in memory until it leaves, so it is what a receiver slower than the
   * senders makes grow.
   */
  int backlog() {
    return backlog.get();
  }

  /** Callbacks waiting or being posted, over all resources (for tests). */
  int waiting() {
    int n = 0;
    for (Lane l : lanes.values()) {
      synchronized (l) {
        n += l.waiting.size();
      }
    }
    return n;
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
    Prepared r = prepare(accountSid, url, params, history, kind);
    if (r == null) {
      return CompletableFuture.completedFuture(new Result(-1, null, null));
    }
    // Blocking send() on this sender's pool, not sendAsync(): on a machine with 2 cores the common
    // ForkJoinPool has parallelism 1, and the JDK client then completes every sendAsync() through a
    // new thread (CompletableFuture's thread-per-task fallback): a thread per callback, 40,000 in a
    // 10,000-message benchmark.
    return CompletableFuture.supplyAsync(() -> send(r, history, kind), executor);
  }

  /** A signed request and its retry overrides. */
  private record Prepared(
      URI uri, MultiMap headers, String body, int retries, String policy, String status) {}

  /** Signs the request as it will be sent; null (and a history entry) for a bad URL. */
  private Prepared prepare(
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
    URI uri;
    try {
      uri = URI.create(target);
    } catch (IllegalArgumentException e) {
      uri = null;
    }
    // What Twilio can post to: an absolute http(s) URL with a host.
    if (uri == null
        || uri.getHost() == null
        || !("http".equalsIgnoreCase(uri.getScheme())
            || "https".equalsIgnoreCase(uri.getScheme()))) {
      history.accept(Event.of(kind, "url", target, "result", "bad URL"));
      return null;
    }
    TwilioSignature signer =
        key != null
            ? signer(key[1], TwilioSignature.Algorithm.HMAC_SHA256)
            : signer(
                rotated.getOrDefault(accountSid, tokenOf.apply(accountSid)),
                TwilioSignature.Algorithm.HMAC_SHA1);
    String signature = signer.sign(signedUrl, params);
    MultiMap headers =
        MultiMap.caseInsensitiveMultiMap()
            .add("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
            .add("X-Twilio-Signature", signature)
            .add("User-Agent", "TwilioProxy/1.1")
            .add("I-Twilio-Idempotency-Token", Wire.sid("ID"));
    if (key != null) {
      headers.add(TwilioSignature.SETTINGS_HEADER, "key=" + key[0] + ",algorithm=HMAC_SHA256");
    }
    return new Prepared(
        uri,
        headers,
        Wire.encodeForm(params),
        retries,
        policy,
        messageOrCall(params, "MessageStatus", "CallStatus", null));
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

  /**
   * Posts on this thread, retrying at once as the request's {@code rc} and {@code rp} say, and
   * writes each attempt to {@code history}.
   */
  /** {@link #sendAsync}, waited for (the plain posts' callers wait for their answer). */
  private Result send(Prepared r, Consumer<Event> history, String kind) {
    try {
      // Each try's own timer ends it after timeoutMillis; this bound is only a backstop (a
      // connection that never came from the pool).
      return sendAsync(r, history, kind, r.retries())
          .toCompletionStage()
          .toCompletableFuture()
          .get(3L * timeoutMillis * (r.retries() + 1), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      history.accept(attempt(kind, r, -1, "connection failed"));
      return new Result(-1, null, null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, null, null);
    }
  }

  /**
   * Posts, then retries as the URL's connection overrides say: a failed connection (no answer
   * within the timeout) under {@code rp=ct} (the default), an HTTP status under {@code rp=4xx},
   * {@code 5xx} or {@code all}. Each try writes its history entry.
   */
  private Future<Result> sendAsync(
      Prepared r, Consumer<Event> history, String kind, int retriesLeft) {
    return post(r)
        .transform(
            ar -> {
              if (ar.failed()) {
                history.accept(attempt(kind, r, -1, "connection failed"));
                LOG.debug("{} to {} failed: {}", kind, r.uri().getHost(), ar.cause().toString());
                if (retriesLeft > 0 && retriesConnectionFailure(r.policy())) {
                  return sendAsync(r, history, kind, retriesLeft - 1);
                }
                return Future.succeededFuture(new Result(-1, null, null));
              }
              Result resp = ar.result();
              if (retriesLeft > 0 && retriesStatus(r.policy(), resp.status())) {
                history.accept(attempt(kind, r, resp.status(), "retrying (rp=" + r.policy() + ")"));
                return sendAsync(r, history, kind, retriesLeft - 1);
              }
              history.accept(attempt(kind, r, resp.status(), null));
              return Future.succeededFuture(resp);
            });
  }

  /**
   * One POST and its whole answer. The timeout covers the request from its start to the last byte
   * of the answer, as Twilio's does (connecting is bounded by the client's connect timeout too).
   */
  private Future<Result> post(Prepared r) {
    RequestOptions o =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setAbsoluteURI(r.uri().toString())
            .setHeaders(r.headers());
    return http.request(o)
        .compose(
            req -> {
              // Unlike an idle timeout, ends the request timeoutMillis after it starts.
              long timer = vertxTimer(req);
              return req.send(Buffer.buffer(r.body()))
                  .compose(resp -> resp.body().map(b -> result(resp, b)))
                  .onComplete(x -> cancelTimer(timer));
            });
  }

  /**
   * One attempt's history entry: the URL, the callback's status, then the HTTP status (negative:
   * none, the connection failed) and the result (null: none) when there are.
   */
  private static Event attempt(String kind, Prepared r, int httpStatus, String result) {
    String url = r.uri().toString();
    if (httpStatus >= 0 && result != null) {
      return Event.of(
          kind, "url", url, "status", r.status(), "httpStatus", httpStatus, "result", result);
    } else if (httpStatus >= 0) {
      return Event.of(kind, "url", url, "status", r.status(), "httpStatus", httpStatus);
    } else if (result != null) {
      return Event.of(kind, "url", url, "status", r.status(), "result", result);
    }
    return Event.of(kind, "url", url, "status", r.status());
  }

  /**
   * A callback parameter a message's callback names {@code messageName} and a call's {@code
   * callName}: the first that is sent, else {@code def}.
   */
  private static String messageOrCall(
      Map<String, List<String>> params, String messageName, String callName, String def) {
    String v = Wire.first(params, messageName);
    if (v == null) {
      v = Wire.first(params, callName);
    }
    return v == null ? def : v;
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
    String v = fragmentString(url, name, null);
    if (v == null) {
      return def;
    }
    try {
      return Math.max(0, Integer.parseInt(v));
    } catch (NumberFormatException e) {
      return def;
    }
  }

  private Result result(io.vertx.core.http.HttpClientResponse resp, Buffer body) {
    return new Result(resp.statusCode(), body.toString(), resp.getHeader("Content-Type"));
  }

  private long vertxTimer(io.vertx.core.http.HttpClientRequest req) {
    return vertx.setTimer(
        timeoutMillis,
        id ->
            req.reset(
                0,
                new java.util.concurrent.TimeoutException(
                    "no answer within " + timeoutMillis + " ms")));
  }

  private void cancelTimer(long id) {
    vertx.cancelTimer(id);
  }

  @Override
  public void close() {
    closed = true;
    ready.clear();
    executor.shutdownNow();
    http.close();
  }
}
