package org.twiliocrm.sandbox.twilio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.twilio.rest.api.v2010.account.Message;
import com.twilio.type.PhoneNumber;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code sandbox.twilio.max-callback-backlog}: with more status callbacks waiting than that, a
 * message create waits for the receiver instead of adding to a backlog that holds every waiting
 * message in memory (a 100,000-row whole loop filled a 256 MB heap that way), and goes on after 10
 * s regardless, so a receiver that is down does not stop sends for good.
 */
class CallbackBacklogIT {
  @RegisterExtension
  static final SandboxWithHooks sandbox =
      new SandboxWithHooks(
          hooks ->
              Map.of(
                  "sandbox.twilio.max-callback-backlog", "2",
                  // Callbacks to the held receiver wait for it rather than time out and move on.
                  "sandbox.twilio.callback.timeout-millis", "60000"));

  private static Message send(String to) {
    return Message.creator(new PhoneNumber(to), new PhoneNumber(TwilioSandboxFixture.NUMBER), "x")
        .setStatusCallback(URI.create(sandbox.hooks.url("/status")))
        .create(sandbox.fx.client);
  }

  /** The first message's callbacks (sending, sent, delivered) wait behind the held receiver. */
  private static CountDownLatch backlogOfThree() {
    CountDownLatch gate = new CountDownLatch(1);
    sandbox.hooks.gate.set(gate);
    send("+14155550701");
    await("three callbacks waiting")
        .atMost(Duration.ofSeconds(30))
        .until(() -> sandbox.fx.sandbox.callbackBacklog() >= 3);
    return gate;
  }

  @Test
  void aCreateWaitsWhileTheBacklogIsOverTheMaximumAndGoesOnWhenItFalls() {
    CountDownLatch gate = backlogOfThree();
    try {
      CompletableFuture<Message> second = CompletableFuture.supplyAsync(() -> send("+14155550702"));
      await("the second create held back")
          .during(Duration.ofSeconds(2))
          .atMost(Duration.ofSeconds(5))
          .until(() -> !second.isDone());

      gate.countDown();
      await("the second create answered once the callbacks drain")
          .atMost(Duration.ofSeconds(30))
          .until(second::isDone);
      String sid = second.join().getSid();
      await("its own callbacks")
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(sandbox.hooks.about("/status", sid))
                      .extracting(h -> h.param("MessageStatus"))
                      .containsExactly("sending", "sent", "delivered"));
    } finally {
      gate.countDown();
    }
  }

  @Test
  void aReceiverThatStaysDownHoldsACreateForTenSecondsAtMost() {
    CountDownLatch gate = backlogOfThree();
    try {
      long start = System.nanoTime();
      CompletableFuture<Message> second = CompletableFuture.supplyAsync(() -> send("+14155550703"));
      await("the create goes on after the longest wait")
          .atMost(Duration.ofSeconds(40))
          .until(second::isDone);
      assertThat(second.join().getSid()).startsWith("SM");
      // The wait is the feature: it did wait (about 10 s), it did not refuse.
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isGreaterThanOrEqualTo(Duration.ofSeconds(9));
    } finally {
      gate.countDown();
    }
  }
}
