package org.twiliocrm.sandbox.twilio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.vertx.core.Vertx;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Status callbacks of different messages go out side by side (as Twilio sends them), while one
 * message's callbacks still leave in order: over a real socket to a receiver that holds every
 * request until it is released.
 */
class CallbackSenderTest {
  /** The sandbox's Vert.x, whose client posts the callbacks. */
  private static final Vertx VERTX = Vertx.vertx();

  @AfterAll
  static void closeVertx() {
    VERTX.close();
  }

  private static final String ACCOUNT = "AC00000000000000000000000000000000";

  @Test
  void callbacksOfManyMessagesAreInFlightTogetherAndEachMessagesStayInOrder() throws Exception {
    int messages = 40; // more than the old pool of 8, fewer than CallbackSender.CONCURRENCY
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    List<String> received = Collections.synchronizedList(new ArrayList<>());
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 200);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext(
        "/status",
        ex -> {
          String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          received.add(body);
          inFlight.decrementAndGet();
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    server.start();
    String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/status";
    try (CallbackSender sender =
        new CallbackSender(VERTX, () -> Faults.NONE, a -> "token", 5_000)) {
      for (int i = 0; i < messages; i++) {
        for (String status : List.of("sent", "delivered")) {
          sender.statusCallback(
              ACCOUNT,
              url,
              Map.of(
                  "MessageSid", List.of(String.format("SM%032d", i)),
                  "MessageStatus", List.of(status),
                  "AccountSid", List.of(ACCOUNT)),
              e -> {});
        }
      }
      // Every message's first callback is held by the receiver at the same time.
      await().atMost(Duration.ofSeconds(30)).until(() -> inFlight.get() == messages);
      release.countDown();
      await().atMost(Duration.ofSeconds(30)).until(() -> received.size() == messages * 2);
    } finally {
      server.stop(0);
    }
    // Never two of one message at once: at most one callback per message was in flight.
    assertThat(maxInFlight.get()).isEqualTo(messages);
    for (int i = 0; i < messages; i++) {
      String sid = String.format("SM%032d", i);
      List<String> mine = received.stream().filter(b -> b.contains(sid)).toList();
      assertThat(mine).hasSize(2);
      assertThat(mine.get(0)).contains("MessageStatus=sent");
      assertThat(mine.get(1)).contains("MessageStatus=delivered");
    }
  }

  /**
   * Posting slots, not threads: with more messages than {@link CallbackSender#CONCURRENCY}, exactly
   * that many callbacks are in flight while the receiver holds them, no thread is held per
   * callback, and the rest follow once the receiver answers.
   */
  @Test
  void atMostConcurrencyCallbacksAreInFlightAndNoneHoldsAThread() throws Exception {
    int messages = CallbackSender.CONCURRENCY + 36;
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    AtomicInteger received = new AtomicInteger();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 200);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext(
        "/status",
        ex -> {
          ex.getRequestBody().readAllBytes();
          maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          inFlight.decrementAndGet();
          received.incrementAndGet();
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    server.start();
    String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/status";
    try (CallbackSender sender =
        new CallbackSender(VERTX, () -> Faults.NONE, a -> "token", 5_000)) {
      for (int i = 0; i < messages; i++) {
        sender.statusCallback(
            ACCOUNT,
            url,
            Map.of(
                "MessageSid", List.of(String.format("SM%032d", 1000 + i)),
                "MessageStatus", List.of("delivered"),
                "AccountSid", List.of(ACCOUNT)),
            e -> {});
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> inFlight.get() == CallbackSender.CONCURRENCY);
      await()
          .during(Duration.ofMillis(500))
          .atMost(Duration.ofSeconds(5))
          .until(() -> inFlight.get() == CallbackSender.CONCURRENCY);
      assertThat(sender.backlog()).isEqualTo(messages);
      assertThat(Thread.getAllStackTraces().keySet())
          .extracting(Thread::getName)
          .doesNotContain("twilio-sandbox-callbacks");
      release.countDown();
      await().atMost(Duration.ofSeconds(30)).until(() -> received.get() == messages);
      await().atMost(Duration.ofSeconds(5)).until(() -> sender.backlog() == 0);
    } finally {
      release.countDown();
      server.stop(0);
    }
    assertThat(maxInFlight.get()).isEqualTo(CallbackSender.CONCURRENCY);
  }

  @Test
  void aWaitingCallbackIsBuiltOnlyWhenItLeavesAndRetriesKeepTheMessagesOrder() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    List<String> received = Collections.synchronizedList(new ArrayList<>());
    java.util.Set<String> answered = java.util.concurrent.ConcurrentHashMap.newKeySet();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext(
        "/status",
        ex -> {
          String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          received.add(body);
          // Each status fails once with 503, then is taken: rp=5xx retries it at once.
          ex.sendResponseHeaders(answered.add(body) ? 503 : 200, -1);
          ex.close();
        });
    server.start();
    String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/status#rc=1&rp=5xx";
    String sid = String.format("SM%032d", 7);
    AtomicInteger built = new AtomicInteger();
    List<Event> history = Collections.synchronizedList(new ArrayList<>());
    List<String> statuses = List.of("sending", "sent", "delivered");
    try (CallbackSender sender =
        new CallbackSender(VERTX, () -> Faults.NONE, a -> "token", 5_000)) {
      for (String status : statuses) {
        sender.statusCallback(
            ACCOUNT,
            url,
            sid,
            status,
            () -> {
              built.incrementAndGet();
              return Map.of(
                  "MessageSid", List.of(sid),
                  "MessageStatus", List.of(status),
                  "AccountSid", List.of(ACCOUNT));
            },
            history::add);
      }
      // The first is at the receiver; the two behind it are waiting, their parameters not built.
      await().atMost(Duration.ofSeconds(30)).until(() -> built.get() == 1);
      assertThat(sender.waiting()).isEqualTo(3);
      assertThat(built.get()).isEqualTo(1);
      release.countDown();
      await().atMost(Duration.ofSeconds(30)).until(() -> received.size() == 6);
      await().atMost(Duration.ofSeconds(30)).until(() -> sender.waiting() == 0);
    } finally {
      server.stop(0);
    }
    assertThat(built.get()).isEqualTo(3);
    // Each status posted twice (the 503, then its retry) before the next status leaves.
    assertThat(received)
        .extracting(b -> b.replaceAll(".*MessageStatus=([a-z]+).*", "$1"))
        .containsExactly("sending", "sending", "sent", "sent", "delivered", "delivered");
    assertThat(history)
        .extracting(e -> e.details().get("status") + " " + e.details().get("httpStatus"))
        .containsExactly(
            "sending 503", "sending 200", "sent 503", "sent 200", "delivered 503", "delivered 200");
    assertThat(history.get(0).details().get("result")).isEqualTo("retrying (rp=5xx)");
  }

  @Test
  void retryPoliciesRetryFailuresOnlyNeverAnAnsweredCallback() {
    // rp=all (the connector's own override, rc=3&rp=all) retries 4xx and 5xx, not a 200
    assertThat(CallbackSender.retriesStatus("all", 200)).isFalse();
    assertThat(CallbackSender.retriesStatus("all", 204)).isFalse();
    assertThat(CallbackSender.retriesStatus("all", 302)).isFalse();
    assertThat(CallbackSender.retriesStatus("all", 404)).isTrue();
    assertThat(CallbackSender.retriesStatus("all", 503)).isTrue();
    assertThat(CallbackSender.retriesStatus("5xx", 503)).isTrue();
    assertThat(CallbackSender.retriesStatus("5xx", 429)).isFalse();
    assertThat(CallbackSender.retriesStatus("4xx,5xx", 429)).isTrue();
    assertThat(CallbackSender.retriesStatus("ct", 503)).isFalse();
  }

  @Test
  void aBadUrlIsRecordedAndNothingLeaves() throws Exception {
    List<Event> history = Collections.synchronizedList(new ArrayList<>());
    try (CallbackSender sender =
        new CallbackSender(VERTX, () -> Faults.NONE, a -> "token", 5_000)) {
      for (String url : List.of("ftp://127.0.0.1/status", "/relative/status", "http://[::1")) {
        CallbackSender.Result r =
            sender
                .post(
                    ACCOUNT, url, Map.of("AccountSid", List.of(ACCOUNT)), history::add, "callback")
                .get(10, TimeUnit.SECONDS);
        assertThat(r.status()).as(url).isEqualTo(-1);
      }
    }
    assertThat(history).extracting(e -> e.details().get("result")).containsOnly("bad URL");
    assertThat(history).hasSize(3);
  }

  @Test
  void anAnswerLaterThanTheTimeoutIsAFailedConnectionAndRetriedOnceAsTwilioDoes() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger requests = new AtomicInteger();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext(
        "/slow",
        ex -> {
          ex.getRequestBody().readAllBytes();
          requests.incrementAndGet();
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    server.start();
    List<Event> history = Collections.synchronizedList(new ArrayList<>());
    String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/slow";
    try (CallbackSender sender = new CallbackSender(VERTX, () -> Faults.NONE, a -> "token", 300)) {
      CallbackSender.Result r =
          sender
              .post(ACCOUNT, url, Map.of("AccountSid", List.of(ACCOUNT)), history::add, "callback")
              .get(30, TimeUnit.SECONDS);
      assertThat(r.status()).isEqualTo(-1);
    } finally {
      release.countDown();
      server.stop(0);
    }
    // The default policy (rc=1, rp=ct) retries a failed connection once.
    assertThat(requests.get()).isEqualTo(2);
    assertThat(history)
        .extracting(e -> e.details().get("result"))
        .containsExactly("connection failed", "connection failed");
  }
}
