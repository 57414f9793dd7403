package org.twiliocrm.sandbox.twilio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.twilio.exception.ApiException;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.security.RequestValidator;
import com.twilio.type.PhoneNumber;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A handset writes to a sandbox number: signed webhook, TwiML reply to the inbox, STOP/START/HELP.
 */
class HandsetsIT {
  static final String PHONE = "+14155550200";
  // A second owned number (+15005550007 is Twilio's magic "not owned" sender, refused as a From).
  static final String OTHER_NUMBER = "+15005550010";

  @RegisterExtension
  static final SandboxWithHooks sandbox =
      new SandboxWithHooks(
          receiver ->
              Map.of(
                  "sandbox.twilio.numbers",
                  TwilioSandboxFixture.NUMBER + "," + OTHER_NUMBER,
                  "sandbox.twilio.inbound-webhook-url",
                  receiver.url("/sms")));

  private static Map<String, Object> handsetSays(String body, String to) {
    return sandbox.fx.controlMap(
        "POST", "/sandbox/handsets/" + PHONE + "/messages", Map.of("to", to, "body", body));
  }

  private static List<Object> inboxBodies() {
    return sandbox.fx.controlList("/sandbox/handsets/" + PHONE + "/inbox").stream()
        .map(e -> e.get("body"))
        .toList();
  }

  private static Message sendFrom(String from) {
    return Message.creator(new PhoneNumber(PHONE), new PhoneNumber(from), "promo")
        .create(sandbox.fx.client);
  }

  @Test
  void inboundIsPostedSignedAndTheTwimlReplyReachesTheHandset() {
    sandbox.hooks.reply.set("<Response><Message>Thanks, got it</Message></Response>");
    Map<String, Object> r = handsetSays("hello + bye", TwilioSandboxFixture.NUMBER);
    assertThat(r.get("sid").toString()).startsWith("SM");
    assertThat(((Map<?, ?>) r.get("webhook")).get("httpStatus")).isEqualTo(200);
    assertThat((List<?>) r.get("replies")).hasSize(1);

    Recorder.Hit hit = sandbox.hooks.at("/sms").get(0);
    assertThat(hit.param("From")).isEqualTo(PHONE);
    assertThat(hit.param("To")).isEqualTo(TwilioSandboxFixture.NUMBER);
    assertThat(hit.param("Body")).isEqualTo("hello + bye");
    assertThat(hit.param("SmsStatus")).isEqualTo("received");
    assertThat(hit.params().keySet())
        .contains("MessageSid", "SmsSid", "AccountSid", "NumMedia", "NumSegments", "ApiVersion");
    Map<String, String> single = new HashMap<>();
    hit.params().forEach((k, v) -> single.put(k, v.get(0)));
    assertThat(
            new RequestValidator(TwilioSandboxFixture.TOKEN)
                .validate(sandbox.hooks.url("/sms"), single, hit.signature()))
        .isTrue();
    single.put("Body", "tampered");
    assertThat(
            new RequestValidator(TwilioSandboxFixture.TOKEN)
                .validate(sandbox.hooks.url("/sms"), single, hit.signature()))
        .isFalse();

    await().atMost(Duration.ofSeconds(30)).until(() -> inboxBodies().contains("Thanks, got it"));
  }

  @Test
  void emptyResponseOrFailingWebhookSendsNoReply() {
    Map<String, Object> r = handsetSays("hi", TwilioSandboxFixture.NUMBER);
    assertThat((List<?>) r.get("replies")).isEmpty();
    sandbox.hooks.status.set(500);
    sandbox.hooks.reply.set("<Response><Message>never</Message></Response>");
    r = handsetSays("hi again", TwilioSandboxFixture.NUMBER);
    assertThat(((Map<?, ?>) r.get("webhook")).get("httpStatus")).isEqualTo(500);
    assertThat((List<?>) r.get("replies")).isEmpty();
    sandbox.hooks.status.set(200);
    sandbox.hooks.reply.set("<Response><Message>broken");
    r = handsetSays("and again", TwilioSandboxFixture.NUMBER);
    assertThat(((Map<?, ?>) r.get("webhook")).get("error").toString()).contains("TwiML");
    assertThat(inboxBodies()).isEmpty();
  }

  @Test
  void stopBlocksSendsWith21610UntilStartAndOnlyForThatSender() {
    assertThat(sendFrom(TwilioSandboxFixture.NUMBER).getSid()).startsWith("SM");
    sandbox.hooks.reply.set("<Response><Message>ignored after STOP</Message></Response>");
    handsetSays(" stop ", TwilioSandboxFixture.NUMBER);
    assertThat(sandbox.hooks.at("/sms")).hasSize(1); // Twilio still tells the webhook
    await().atMost(Duration.ofSeconds(30)).until(() -> inboxBodies().contains(Handsets.STOP_REPLY));
    ApiException e = null;
    try {
      sendFrom(TwilioSandboxFixture.NUMBER);
    } catch (ApiException ex) {
      e = ex;
    }
    assertThat(e).isNotNull();
    assertThat(e.getCode()).isEqualTo(21610);
    assertThat(sendFrom(OTHER_NUMBER).getSid()).startsWith("SM");
    // The opt-out is listed, for that sender only, and filtered by handset.
    assertThat(sandbox.fx.controlList("/sandbox/opt-outs"))
        .containsExactly(Map.of("handset", PHONE, "sender", TwilioSandboxFixture.NUMBER));
    assertThat(sandbox.fx.controlList("/sandbox/opt-outs?handset=%2B14155550999")).isEmpty();
    assertThat(sandbox.fx.controlList("/sandbox/handsets"))
        .anySatisfy(h -> assertThat(h).containsEntry("phone", PHONE));

    sandbox.hooks.reply.set("<Response/>");
    handsetSays("START", TwilioSandboxFixture.NUMBER);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> inboxBodies().contains(Handsets.START_REPLY));
    assertThat(sendFrom(TwilioSandboxFixture.NUMBER).getSid()).startsWith("SM");
    assertThat(sandbox.fx.controlList("/sandbox/opt-outs")).isEmpty();
    assertThat(inboxBodies()).doesNotContain("ignored after STOP");
    assertThat(sandbox.fx.controlList("/sandbox/messages?status=received")).hasSize(2);
  }

  @Test
  void helpGetsTheDefaultHelpText() {
    handsetSays("help", TwilioSandboxFixture.NUMBER);
    await().atMost(Duration.ofSeconds(30)).until(() -> inboxBodies().contains(Handsets.HELP_REPLY));
    // A word that merely contains a keyword is a normal message.
    handsetSays("please stop by", TwilioSandboxFixture.NUMBER);
    assertThat(sendFrom(TwilioSandboxFixture.NUMBER).getSid()).startsWith("SM");
  }

  @Test
  void sendingToANumberTheSandboxDoesNotOwnIsRefused() {
    Exception e = null;
    try {
      handsetSays("hi", "+19999999999");
    } catch (IllegalStateException ex) {
      e = ex;
    }
    assertThat(e).hasMessageContaining("400");
  }
}
