package org.twiliocrm.sandbox.twilio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.twilio.exception.ApiException;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.type.PhoneNumber;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Realistic pacing with a tiny rate and queue: 21611, 30001, 30036; SendAt scheduling and cancel.
 */
class PacingIT {
  static final String MG = "MG" + "1".repeat(32);
  static TwilioSandboxFixture fx;

  @BeforeAll
  static void start() {
    fx =
        new TwilioSandboxFixture(
            Map.of(
                // Each test paces its own sender, so each is an owned number.
                "sandbox.twilio.numbers",
                    TwilioSandboxFixture.NUMBER + ",+15005550100,+15005550101,+15005550102",
                "sandbox.twilio.messaging-services", MG,
                "sandbox.twilio.pacing.realistic", "true",
                // A queue of two messages (20 s at 0.1 MPS) that drains every 10 s: the sends
                // that fill it finish long before a slot frees, even on a busy machine.
                "sandbox.twilio.pacing.long-code-mps", "0.1",
                "sandbox.twilio.pacing.queue-seconds", "20"));
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  private static Message send(String from, String to) {
    return Message.creator(new PhoneNumber(to), new PhoneNumber(from), "x").create(fx.client);
  }

  @Test
  void senderQueueOverflowGives21611WithoutAServiceAnd30001WithOne() {
    String from = "+15005550100";
    for (int i = 0; i < 3; i++) {
      assertThat(send(from, "+1415555040" + i).getStatus()).isEqualTo(Message.Status.QUEUED);
    }
    ApiException e = null;
    try {
      send(from, "+14155550409");
    } catch (ApiException ex) {
      e = ex;
    }
    assertThat(e).isNotNull();
    assertThat(e.getCode()).isEqualTo(21611);
    // Another sender has its own queue.
    assertThat(send("+15005550101", "+14155550409").getStatus()).isEqualTo(Message.Status.QUEUED);
    // Through a Messaging Service the send is accepted, then fails with 30001.
    for (int i = 0; i < 3; i++) {
      Message.creator(new PhoneNumber("+1415555041" + i), MG, "x").create(fx.client);
    }
    Message over = Message.creator(new PhoneNumber("+14155550419"), MG, "x").create(fx.client);
    assertThat(over.getStatus()).isEqualTo(Message.Status.ACCEPTED);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                Message.fetcher(over.getSid()).fetch(fx.client).getStatus()
                    == Message.Status.FAILED);
    assertThat(Message.fetcher(over.getSid()).fetch(fx.client).getErrorCode()).isEqualTo(30001);
  }

  @Test
  void messagesThatWaitLongerThanTheirValidityPeriodFailWith30036() {
    String from = "+15005550102";
    Message first =
        Message.creator(new PhoneNumber("+14155550420"), new PhoneNumber(from), "a")
            .setValidityPeriod(1)
            .create(fx.client);
    send(from, "+14155550421");
    Message third =
        Message.creator(new PhoneNumber("+14155550422"), new PhoneNumber(from), "c")
            .setValidityPeriod(1)
            .create(fx.client);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                Message.fetcher(third.getSid()).fetch(fx.client).getStatus()
                    == Message.Status.FAILED);
    assertThat(Message.fetcher(third.getSid()).fetch(fx.client).getErrorCode()).isEqualTo(30036);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                Message.fetcher(first.getSid()).fetch(fx.client).getStatus()
                    == Message.Status.DELIVERED);
  }

  @Test
  void scheduledMessagesCanBeCanceledOnce() {
    Message m =
        Message.creator(new PhoneNumber("+14155550430"), MG, "later")
            .setSendAt(ZonedDateTime.now().plusMinutes(10))
            .setScheduleType(Message.ScheduleType.FIXED)
            .create(fx.client);
    assertThat(m.getStatus()).isEqualTo(Message.Status.SCHEDULED);
    Message canceled =
        Message.updater(m.getSid()).setStatus(Message.UpdateStatus.CANCELED).update(fx.client);
    assertThat(canceled.getStatus()).isEqualTo(Message.Status.CANCELED);
    ApiException again = null;
    try {
      Message.updater(m.getSid()).setStatus(Message.UpdateStatus.CANCELED).update(fx.client);
    } catch (ApiException e) {
      again = e;
    }
    assertThat(again).isNotNull();
    assertThat(again.getStatusCode()).isEqualTo(400);

    ApiException tooSoon = null;
    try {
      Message.creator(new PhoneNumber("+14155550431"), MG, "soon")
          .setSendAt(ZonedDateTime.now().plusSeconds(10))
          .setScheduleType(Message.ScheduleType.FIXED)
          .create(fx.client);
    } catch (ApiException e) {
      tooSoon = e;
    }
    assertThat(tooSoon).isNotNull();
    assertThat(tooSoon.getCode()).isEqualTo(35115);
  }
}
