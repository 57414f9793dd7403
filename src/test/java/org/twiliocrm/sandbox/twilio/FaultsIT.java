package org.twiliocrm.sandbox.twilio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.twilio.exception.ApiException;
import com.twilio.http.NetworkHttpClient;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.type.PhoneNumber;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hc.client5.http.HttpRoute;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.http.HttpHost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Faults on demand, seen through the real SDK and TwilioClientFactory. */
class FaultsIT {
  @RegisterExtension static final SandboxWithHooks sandbox = new SandboxWithHooks();
  static final String createKey =
      "POST /2010-04-01/Accounts/" + TwilioSandboxFixture.ACCOUNT + "/Messages.json";

  private static Message send(TwilioRestClient client) {
    return Message.creator(
            new PhoneNumber("+14155550300"), new PhoneNumber(TwilioSandboxFixture.NUMBER), "x")
        .setStatusCallback(URI.create(sandbox.hooks.url("/status")))
        .create(client);
  }

  /** Callbacks for one message: a late callback of an earlier test must not count. */
  private static List<Recorder.Hit> hitsFor(String sid) {
    return sandbox.hooks.at("/status").stream()
        .filter(h -> sid.equals(h.param("MessageSid")))
        .toList();
  }

  private static Exception failure(Runnable r) {
    try {
      r.run();
    } catch (Exception e) {
      return e;
    }
    throw new AssertionError("no exception");
  }

  @Test
  void oneCreateAgainst503IsExactlyOnePost() {
    sandbox.fx.control("PUT", "/sandbox/faults", Map.of("error503Rate", 1.0));
    Exception e = failure(() -> send(sandbox.fx.client));
    assertThat(e).isInstanceOf(ApiException.class);
    assertThat(((ApiException) e).getStatusCode()).isEqualTo(503);
    assertThat(sandbox.fx.requests(createKey)).isEqualTo(1);
    assertThat(sandbox.fx.controlList("/sandbox/messages")).isEmpty();
  }

  @Test
  void oneCreateAgainst500IsExactlyOnePostWhileTheStockSdkClientSendsThree() {
    sandbox.fx.control("PUT", "/sandbox/faults", Map.of("error500Rate", 1.0));
    Exception e = failure(() -> send(sandbox.fx.client));
    assertThat(((ApiException) e).getStatusCode()).isEqualTo(500);
    assertThat(sandbox.fx.requests(createKey)).isEqualTo(1);

    // The negative control: twilio-java's own NetworkHttpClient re-sends the POST.
    HttpRoute route = new HttpRoute(new HttpHost("http", "127.0.0.1", sandbox.fx.sandbox.port()));
    TwilioRestClient stock =
        new TwilioRestClient.Builder(TwilioSandboxFixture.ACCOUNT, TwilioSandboxFixture.TOKEN)
            .httpClient(
                new NetworkHttpClient(HttpClientBuilder.create().setRoutePlanner((h, c) -> route)))
            .build();
    failure(() -> send(stock));
    assertThat(sandbox.fx.requests(createKey)).isEqualTo(1 + 3);
  }

  @Test
  void createdButAnswered500LeavesTheMessageStored() {
    sandbox.fx.control("PUT", "/sandbox/faults", Map.of("createdButErrorRate", 1.0));
    Exception e = failure(() -> send(sandbox.fx.client));
    assertThat(((ApiException) e).getStatusCode()).isEqualTo(500);
    assertThat(sandbox.fx.requests(createKey)).isEqualTo(1);
    assertThat(sandbox.fx.controlList("/sandbox/messages")).hasSize(1);
  }

  @Test
  void connectionResetGivesAConnectionErrorAndOnePost() {
    sandbox.fx.control("PUT", "/sandbox/faults", Map.of("resetRate", 1.0));
    Exception e = failure(() -> send(sandbox.fx.client));
    // twilio-java reports an I/O failure as an ApiException without an HTTP status.
    assertThat(e).isInstanceOf(ApiException.class).hasMessageContaining("reset");
    assertThat(((ApiException) e).getStatusCode()).isNull();
    assertThat(sandbox.fx.requests(createKey)).isEqualTo(1);
    sandbox.fx.control("DELETE", "/sandbox/faults", null);
    assertThat(send(sandbox.fx.client).getSid()).startsWith("SM");
  }

  @Test
  void latencyIsAddedToEveryRequestUntilCleared() {
    // The lower bound is the feature, and a busy machine only makes a request slower, so it is the
    // one wall-clock assertion that cannot flake. The jitter's range is pinned without a clock in
    // SandboxPartsTest; that clearing works is read from the sandbox's own state.
    sandbox.fx.control("PUT", "/sandbox/faults", Map.of("latencyMillis", 300, "jitterMillis", 100));
    long t0 = System.nanoTime();
    send(sandbox.fx.client);
    assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(300L);
    sandbox.fx.control("DELETE", "/sandbox/faults", null);
    assertThat(sandbox.fx.control("GET", "/sandbox/faults", null))
        .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
        .containsEntry("latencyMillis", 0)
        .containsEntry("jitterMillis", 0);
    assertThat(send(sandbox.fx.client).getSid()).startsWith("SM");
  }

  @Test
  void concurrencyCapAnswers429With20429AndCreatesNothing() throws Exception {
    // The latency keeps the first two in flight while the others arrive. How many get through is a
    // matter of scheduling on a busy machine (a thread that starts after the first two finished is
    // let in), so the test asserts what the cap guarantees: some are refused with 20429, and
    // exactly
    // the admitted ones created a message.
    sandbox.fx.control("PUT", "/sandbox/faults", Map.of("maxInFlight", 2, "latencyMillis", 4000));
    ExecutorService pool = Executors.newFixedThreadPool(6);
    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
    try {
      List<Future<Object>> results = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        results.add(
            pool.submit(
                () -> {
                  go.await();
                  try {
                    return send(sandbox.fx.client);
                  } catch (ApiException e) {
                    return e;
                  }
                }));
      }
      go.countDown();
      int ok = 0;
      int capped = 0;
      for (Future<Object> f : results) {
        Object r = f.get();
        if (r instanceof Message) {
          ok++;
        } else {
          ApiException e = (ApiException) r;
          assertThat(e.getCode()).isEqualTo(20429);
          assertThat(e.getStatusCode()).isEqualTo(429);
          capped++;
        }
      }
      assertThat(ok).isGreaterThanOrEqualTo(1);
      assertThat(capped).isEqualTo(6 - ok).isGreaterThanOrEqualTo(1);
      assertThat(sandbox.fx.controlList("/sandbox/messages")).hasSize(ok);
      // No hidden retry of the 429s either.
      assertThat(sandbox.fx.requests(createKey)).isEqualTo(6);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void failingCallbackDeliveriesAreRecordedNotSent() {
    sandbox.fx.control("PUT", "/sandbox/faults", Map.of("callbackFailureRate", 1.0));
    Message m = send(sandbox.fx.client);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                Message.fetcher(m.getSid()).fetch(sandbox.fx.client).getStatus()
                    == Message.Status.DELIVERED);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                events(m.getSid()).stream().filter(e -> "callback".equals(e.get("type"))).count()
                    == 3);
    assertThat(hitsFor(m.getSid())).isEmpty();
    assertThat(events(m.getSid()))
        .filteredOn(e -> "callback".equals(e.get("type")))
        .allMatch(e -> "failed (injected fault)".equals(e.get("result")));
  }

  @Test
  void duplicateCallbacksArriveTwice() {
    sandbox.fx.control("PUT", "/sandbox/faults", Map.of("duplicateCallbackRate", 1.0));
    String sid = send(sandbox.fx.client).getSid();
    await().atMost(Duration.ofSeconds(30)).until(() -> hitsFor(sid).size() >= 6);
    assertThat(hitsFor(sid))
        .filteredOn(h -> "delivered".equals(h.param("MessageStatus")))
        .hasSize(2);
  }

  @Test
  void outOfOrderCallbacksLetDeliveredOvertakeSent() {
    sandbox.fx.control(
        "PUT",
        "/sandbox/faults",
        Map.of("outOfOrderCallbackRate", 1.0, "outOfOrderDelayMillis", 400));
    String late = send(sandbox.fx.client).getSid();
    await().atMost(Duration.ofSeconds(30)).until(() -> hitsFor(late).size() == 3);
    assertThat(hitsFor(late).get(0).param("MessageStatus")).isEqualTo("delivered");
    sandbox.fx.control("DELETE", "/sandbox/faults", null);
    String inOrder = send(sandbox.fx.client).getSid();
    await().atMost(Duration.ofSeconds(30)).until(() -> hitsFor(inOrder).size() == 3);
    assertThat(hitsFor(inOrder))
        .extracting(h -> h.param("MessageStatus"))
        .containsExactly("sending", "sent", "delivered");
  }

  @Test
  void unknownFaultNamesAreRejected() {
    assertThat(
            failure(() -> sandbox.fx.control("PUT", "/sandbox/faults", Map.of("noSuchFault", 1))))
        .hasMessageContaining("400");
    assertThat(
            failure(() -> sandbox.fx.control("PUT", "/sandbox/faults", Map.of("error500Rate", 2))))
        .hasMessageContaining("0..1");
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> events(String sid) {
    return (List<Map<String, Object>>)
        sandbox.fx.controlMap("GET", "/sandbox/messages/" + sid, null).get("events");
  }
}
