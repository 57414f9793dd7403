package org.twiliocrm.sandbox.twilio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.twilio.exception.ApiException;
import com.twilio.rest.api.v2010.account.Call;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.type.PhoneNumber;
import com.twilio.type.Twiml;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The sandbox owns only its configured numbers and Messaging Services and refuses any other From as
 * Twilio does; every magic test number, From and To, messages and calls, is answered with Twilio's
 * code. Over HTTP, through twilio-java and through a raw form post.
 */
class SendersIT {
  static final String SECOND = "+14155550999";
  static final String SERVICE = "MG" + "5".repeat(32);
  static TwilioSandboxFixture fx;

  @BeforeAll
  static void start() {
    fx =
        new TwilioSandboxFixture(
            Map.of(
                "sandbox.twilio.numbers",
                TwilioSandboxFixture.NUMBER + "," + SECOND,
                "sandbox.twilio.messaging-services",
                SERVICE));
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  @BeforeEach
  void reset() {
    fx.control("POST", "/sandbox/reset", null);
  }

  private static Message sms(String from, String to) {
    return Message.creator(new PhoneNumber(to), new PhoneNumber(from), "x").create(fx.client);
  }

  private static Call call(String from, String to) {
    return Call.creator(new PhoneNumber(to), new PhoneNumber(from), new Twiml("<Response/>"))
        .create(fx.client);
  }

  private static ApiException refusal(Runnable r) {
    try {
      r.run();
    } catch (ApiException e) {
      return e;
    }
    throw new AssertionError("the sandbox accepted it");
  }

  @Test
  void everyMagicNumberInTheTableIsAnsweredWithTwiliosCode() {
    for (MagicNumbers.Entry e : MagicNumbers.TABLE) {
      boolean from = e.param() == MagicNumbers.Param.FROM;
      String sender = from ? e.number() : TwilioSandboxFixture.NUMBER;
      String recipient = from ? "+14155550900" : e.number();
      Runnable send =
          e.resource() == MagicNumbers.Resource.MESSAGES
              ? () -> sms(sender, recipient)
              : () -> call(sender, recipient);
      if (e.code() == null) {
        send.run(); // passes all validation
        continue;
      }
      ApiException x = refusal(send);
      assertThat(x.getCode()).as(e.toString()).isEqualTo(e.code());
      assertThat(x.getStatusCode()).as(e.toString()).isEqualTo(400);
      assertThat(x.getMoreInfo()).isEqualTo("https://www.twilio.com/docs/errors/" + e.code());
      // The number is masked in the message, as everywhere in the sandbox.
      assertThat(x.getMessage()).doesNotContain(e.number());
    }
  }

  @Test
  void aFromTheAccountDoesNotOwnIsRefusedWith21606InTwiliosErrorShape() throws Exception {
    HttpResponse<String> r = post("Messages.json", "To=+14155550901&From=+14155550123&Body=x");
    assertThat(r.statusCode()).isEqualTo(400);
    Map<String, Object> body =
        Wire.JSON.readValue(r.body(), new TypeReference<Map<String, Object>>() {});
    assertThat(body)
        .containsEntry("code", 21606)
        .containsEntry("status", 400)
        .containsEntry("more_info", "https://www.twilio.com/docs/errors/21606")
        .containsKey("message");
    assertThat((String) body.get("message")).contains("0123").doesNotContain("+14155550123");
    // Nothing was created, and an owned number sends.
    assertThat(fx.controlList("/sandbox/messages")).isEmpty();
    assertThat(sms(SECOND, "+14155550901").getStatus()).isEqualTo(Message.Status.QUEUED);
    assertThat(sms(TwilioSandboxFixture.NUMBER, "+14155550901").getStatus())
        .isEqualTo(Message.Status.QUEUED);
  }

  @Test
  void whatsAppSendersAndCallersMustBeOwnedToo() {
    assertThat(
            refusal(
                    () ->
                        Message.creator(
                                new PhoneNumber("whatsapp:+14155550902"),
                                new PhoneNumber("whatsapp:+14155550123"),
                                "x")
                            .create(fx.client))
                .getCode())
        .isEqualTo(63007);
    assertThat(
            Message.creator(
                    new PhoneNumber("whatsapp:+14155550902"),
                    new PhoneNumber("whatsapp:" + SECOND),
                    "x")
                .create(fx.client)
                .getSid())
        .startsWith("SM");
    ApiException notVerified = refusal(() -> call("+14155550123", "+14155550903"));
    assertThat(notVerified.getCode()).isEqualTo(21210);
    assertThat(notVerified.getStatusCode()).isEqualTo(400);
    assertThat(call(SECOND, "+14155550903").getSid()).startsWith("CA");
  }

  @Test
  void onlyOwnedMessagingServicesSend() {
    assertThat(
            refusal(
                    () ->
                        Message.creator(new PhoneNumber("+14155550904"), "MG" + "6".repeat(32), "x")
                            .create(fx.client))
                .getCode())
        .isEqualTo(21701);
    // A malformed SID is refused too: by the OpenAPI check (20001) when request validation is on,
    // as here, else with Twilio's 21705.
    assertThat(
            refusal(
                    () ->
                        Message.creator(new PhoneNumber("+14155550904"), "MGshort", "x")
                            .create(fx.client))
                .getStatusCode())
        .isEqualTo(400);
    Message viaService =
        Message.creator(new PhoneNumber("+14155550904"), SERVICE, "x").create(fx.client);
    assertThat(viaService.getStatus()).isEqualTo(Message.Status.ACCEPTED);
    assertThat(viaService.getFrom().toString()).isEqualTo(TwilioSandboxFixture.NUMBER);
  }

  @Test
  void numbersAddedAtRunTimeAreOwnedUntilReset() {
    String bought = "+14155550998";
    assertThat(refusal(() -> sms(bought, "+14155550905")).getCode()).isEqualTo(21606);
    assertThat(fx.sandbox.senders().addNumber(bought)).isTrue();
    assertThat(fx.sandbox.senders().numbers())
        .containsExactly(TwilioSandboxFixture.NUMBER, SECOND, bought);
    assertThat(sms(bought, "+14155550905").getStatus()).isEqualTo(Message.Status.QUEUED);
    fx.control("POST", "/sandbox/reset", null);
    assertThat(fx.sandbox.senders().ownsNumber(bought)).isFalse();
    assertThat(refusal(() -> sms(bought, "+14155550905")).getCode()).isEqualTo(21606);
  }

  @Test
  void magicErrorSendersCannotBeConfiguredAsOwned() {
    assertThatThrownBy(
            () ->
                TwilioSandboxSettings.from(
                    Map.of("sandbox.twilio.numbers", "+15005550006,+15005550007")::get))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("sandbox.twilio.numbers:")
        .hasMessageContaining("magic");
    assertThatThrownBy(
            () ->
                TwilioSandboxSettings.from(
                    Map.of("sandbox.twilio.messaging-services", "MG123")::get))
        .hasMessageStartingWith("sandbox.twilio.messaging-services:");
  }

  private static HttpResponse<String> post(String resource, String form) throws Exception {
    StringBuilder enc = new StringBuilder();
    for (String pair : form.split("&")) {
      int eq = pair.indexOf('=');
      enc.append(enc.length() == 0 ? "" : "&")
          .append(pair, 0, eq + 1)
          .append(URLEncoder.encode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return fx.api(
        "POST",
        "/2010-04-01/Accounts/" + TwilioSandboxFixture.ACCOUNT + "/" + resource,
        enc.toString());
  }
}
