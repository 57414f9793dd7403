package org.twiliocrm.sandbox.twilio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.twilio.exception.ApiException;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.type.PhoneNumber;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code sandbox.twilio.max-messages} forgets history, not accepted sends: a message pushed out of
 * the sandbox's memory while still waiting in its sender's queue is still sent, with its status
 * callbacks. (It was not: its life cycle stopped as if a reset had forgotten it, so a client that
 * sent faster than its sender's rate for longer than max-messages never heard of its oldest
 * messages again; the outbox benchmark's callbacks-on run counted 0 of 30,000 callbacks.)
 */
class ForgottenMessagesIT {
  @RegisterExtension
  static final SandboxWithHooks sandbox =
      new SandboxWithHooks(
          hooks ->
              Map.of(
                  // Remembers one message; the sender sends one every 2 s, so the second and
                  // third wait in its queue while the next create pushes them out of memory.
                  "sandbox.twilio.max-messages", "1",
                  "sandbox.twilio.pacing.default-mps", "0.5"));

  private static Message send(String to) {
    return Message.creator(new PhoneNumber(to), new PhoneNumber(TwilioSandboxFixture.NUMBER), "x")
        .setStatusCallback(URI.create(sandbox.hooks.url("/status")))
        .create(sandbox.fx.client);
  }

  @Test
  void messagesForgottenWhileQueuedAreStillSentWithTheirStatusCallbacks() {
    List<String> sids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      sids.add(send("+1415555061" + i).getSid());
    }
    // The first two are forgotten: no longer fetchable, as documented for max-messages.
    for (String sid : sids.subList(0, 2)) {
      try {
        Message.fetcher(sid).fetch(sandbox.fx.client);
        throw new AssertionError(sid + " still fetchable");
      } catch (ApiException e) {
        assertThat(e.getCode()).isEqualTo(20404);
      }
    }
    // Yet every one of them goes out at its slot (0, 2 and 4 s) and reports each step.
    for (String sid : sids) {
      await("status callbacks of " + sid)
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(sandbox.hooks.about("/status", sid))
                      .extracting(h -> h.param("MessageStatus"))
                      .containsExactly("sending", "sent", "delivered"));
    }
  }

  /**
   * Not a test of the fix (it passed before it too): a guard that letting forgotten messages live
   * on did not also let them outlive a reset, which must still stop every life cycle it forgot.
   */
  @Test
  void aResetStillStopsTheLifeCycleOfMessagesItForgot() {
    send("+14155550620"); // goes out at once
    String forgotten = send("+14155550621").getSid(); // slot at 2 s, pushed out of memory by:
    String remembered = send("+14155550622").getSid(); // slot at 4 s
    sandbox.fx.control("POST", "/sandbox/reset", null);
    // Neither calls back, past both slots.
    await()
        .during(Duration.ofSeconds(6))
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                sandbox.hooks.hits.stream()
                    .map(h -> h.param("MessageSid"))
                    .noneMatch(s -> forgotten.equals(s) || remembered.equals(s)));
  }
}
