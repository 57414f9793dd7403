package org.twiliocrm.sandbox.twilio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.twilio.exception.ApiException;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.security.RequestValidator;
import com.twilio.type.PhoneNumber;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.twiliocrm.twilio.TwilioClientFactory;
import org.twiliocrm.twilio.TwilioClientSettings;
import org.twiliocrm.twilio.TwilioSignature;

/** Messages through the real twilio-java SDK against the sandbox over HTTP. */
class MessagesIT {
  @RegisterExtension static final SandboxWithHooks sandbox = new SandboxWithHooks();

  private static Message send(String to, String body) {
    return Message.creator(new PhoneNumber(to), new PhoneNumber(TwilioSandboxFixture.NUMBER), body)
        .setStatusCallback(URI.create(sandbox.hooks.url("/status")))
        .create(sandbox.fx.client);
  }

  private static int errorOf(Runnable r) {
    try {
      r.run();
    } catch (ApiException e) {
      return e.getCode();
    }
    throw new AssertionError("no ApiException");
  }

  @Test
  void createReturnsTwilioShapedQueuedMessageAndFetchFindsIt() {
    Message m = send("+14155550123", "hello");
    assertThat(m.getSid()).matches("SM[0-9a-f]{32}");
    assertThat(m.getStatus()).isEqualTo(Message.Status.QUEUED);
    assertThat(m.getTo()).isEqualTo("+14155550123");
    assertThat(m.getFrom().toString()).isEqualTo(TwilioSandboxFixture.NUMBER);
    assertThat(m.getAccountSid()).isEqualTo(TwilioSandboxFixture.ACCOUNT);
    assertThat(m.getNumSegments()).isEqualTo("1");
    assertThat(m.getDateCreated()).isNotNull();
    assertThat(m.getPrice()).isNull();

    Message fetched = Message.fetcher(m.getSid()).fetch(sandbox.fx.client);
    assertThat(fetched.getSid()).isEqualTo(m.getSid());
    assertThat(
            errorOf(
                () ->
                    Message.fetcher("SM00000000000000000000000000000000").fetch(sandbox.fx.client)))
        .isEqualTo(20404);
    // Every response so far validated against Twilio's response schema.
    assertThat(
            (List<?>)
                sandbox.fx.controlMap("GET", "/sandbox/validation", null).get("responseViolations"))
        .isEmpty();
  }

  @Test
  void plusInNumbersArrivesIntactAndBodyKeepsSpecialCharacters() {
    Message m = send("+14155550124", "a+b=c & d%20 é");
    Map<String, Object> seen =
        sandbox.fx.controlMap("GET", "/sandbox/messages/" + m.getSid(), null);
    assertThat(seen.get("to")).isEqualTo("+14155550124");
    assertThat(seen.get("from")).isEqualTo("+15005550006");
    assertThat(seen.get("body")).isEqualTo("a+b=c & d%20 é");
  }

  @Test
  void lifeCycleSendsSignedStatusCallbacksWithTwilioParameters() {
    Message m = send("+14155550125", "hi");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> sandbox.hooks.about("/status", m.getSid()).size() >= 3);
    List<Recorder.Hit> hits = sandbox.hooks.about("/status", m.getSid());
    assertThat(hits)
        .extracting(h -> h.param("MessageStatus"))
        .containsExactly("sending", "sent", "delivered");
    Recorder.Hit delivered = hits.get(2);
    assertThat(delivered.params().keySet())
        .contains(
            "MessageSid",
            "MessageStatus",
            "SmsSid",
            "SmsStatus",
            "AccountSid",
            "From",
            "To",
            "ApiVersion",
            "RawDlrDoneDate")
        .doesNotContain("ErrorCode");
    assertThat(delivered.param("MessageSid")).isEqualTo(m.getSid());
    assertThat(delivered.param("To")).isEqualTo("+14155550125");

    String url = sandbox.hooks.url("/status");
    for (Recorder.Hit h : hits) {
      Map<String, String> single = new HashMap<>();
      h.params().forEach((k, v) -> single.put(k, v.get(0)));
      // Twilio's own validator is the independent judge; ours must agree.
      assertThat(
              new RequestValidator(TwilioSandboxFixture.TOKEN).validate(url, single, h.signature()))
          .isTrue();
      assertThat(
              new TwilioSignature(TwilioSandboxFixture.TOKEN)
                  .validate(url, h.params(), h.signature()))
          .isTrue();
      assertThat(new RequestValidator("wrong-token").validate(url, single, h.signature()))
          .isFalse();
    }
    Message done = Message.fetcher(m.getSid()).fetch(sandbox.fx.client);
    assertThat(done.getStatus()).isEqualTo(Message.Status.DELIVERED);
    assertThat(done.getDateSent()).isNotNull();
    assertThat(sandbox.fx.controlList("/sandbox/handsets/+14155550125/inbox"))
        .extracting(e -> e.get("body"))
        .containsExactly("hi");
    // 4 status changes + 3 callback attempts; a callback is recorded once its answer is in.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                ((List<?>)
                            sandbox
                                .fx
                                .controlMap("GET", "/sandbox/messages/" + m.getSid(), null)
                                .get("events"))
                        .size()
                    == 7);
  }

  @Test
  void outcomeRulesGiveUndeliveredAndFailedWithCodes() {
    Map<String, Integer> expected =
        Map.of(
            "+15005553003",
            30003,
            "+15005553005",
            30005,
            "+15005553006",
            30006,
            "+15005553007",
            30007);
    expected.forEach((to, code) -> send(to, "x"));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                sandbox.hooks.at("/status").stream()
                        .filter(h -> "undelivered".equals(h.param("MessageStatus")))
                        .count()
                    == 4);
    for (Recorder.Hit h : sandbox.hooks.at("/status")) {
      if ("undelivered".equals(h.param("MessageStatus"))) {
        assertThat(h.param("ErrorCode")).isEqualTo(String.valueOf(expected.get(h.param("To"))));
      }
    }
    // A pattern added at run time wins over the defaults.
    sandbox.fx.control(
        "POST",
        "/sandbox/outcomes",
        Map.of("pattern", "\\+1415555099\\d", "status", "failed", "errorCode", 30008));
    Message m = send("+14155550991", "y");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                Message.fetcher(m.getSid()).fetch(sandbox.fx.client).getStatus()
                    == Message.Status.FAILED);
    assertThat(Message.fetcher(m.getSid()).fetch(sandbox.fx.client).getErrorCode())
        .isEqualTo(30008);
    Message ok = send("+14155550981", "z");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                Message.fetcher(ok.getSid()).fetch(sandbox.fx.client).getStatus()
                    == Message.Status.DELIVERED);
  }

  @Test
  void twilioErrorCodesForBadRecipients() {
    assertThat(errorOf(() -> send("+15005550001", "x"))).isEqualTo(21211);
    assertThat(errorOf(() -> send("+15005550002", "x"))).isEqualTo(21612);
    assertThat(errorOf(() -> send("+15005550003", "x"))).isEqualTo(21408);
    assertThat(errorOf(() -> send("+15005550004", "x"))).isEqualTo(21610);
    assertThat(errorOf(() -> send("+15005550009", "x"))).isEqualTo(21614);
    assertThat(errorOf(() -> send("0044-not-a-number", "x"))).isEqualTo(21211);
    assertThat(errorOf(() -> send("+14155550126", "x".repeat(1601)))).isEqualTo(21617);
    ApiException e = null;
    try {
      send("+15005550001", "x");
    } catch (ApiException ex) {
      e = ex;
    }
    assertThat(e.getStatusCode()).isEqualTo(400);
    assertThat(e.getMoreInfo()).isEqualTo("https://www.twilio.com/docs/errors/21211");
    // Nothing was stored for rejected creates; a good one beside them succeeds.
    assertThat(sandbox.fx.controlList("/sandbox/messages")).isEmpty();
    assertThat(send("+14155550126", "x".repeat(1600)).getNumSegments()).isEqualTo("11");
  }

  @Test
  void badCredentialsGet20003AndApiKeysWork() {
    try (TwilioClientFactory bad = sandbox.fx.factory("not-the-token")) {
      ApiException e = null;
      try {
        Message.creator(
                new PhoneNumber("+14155550127"), new PhoneNumber(TwilioSandboxFixture.NUMBER), "x")
            .create(bad.create());
      } catch (ApiException ex) {
        e = ex;
      }
      assertThat(e).isNotNull();
      assertThat(e.getCode()).isEqualTo(20003);
      assertThat(e.getStatusCode()).isEqualTo(401);
    }
    TwilioClientSettings keyed =
        new TwilioClientSettings(
            sandbox.fx.sandbox.baseUrl(),
            TwilioSandboxFixture.ACCOUNT,
            null,
            TwilioSandboxFixture.KEY,
            TwilioSandboxFixture.KEY_SECRET,
            5,
            10000,
            60000,
            null,
            null);
    try (TwilioClientFactory f = new TwilioClientFactory(keyed)) {
      Message m =
          Message.creator(
                  new PhoneNumber("+14155550127"),
                  new PhoneNumber(TwilioSandboxFixture.NUMBER),
                  "x")
              .create(f.create());
      assertThat(m.getAccountSid()).isEqualTo(TwilioSandboxFixture.ACCOUNT);
    }
    TwilioClientSettings wrongKey =
        new TwilioClientSettings(
            sandbox.fx.sandbox.baseUrl(),
            TwilioSandboxFixture.ACCOUNT,
            null,
            TwilioSandboxFixture.KEY,
            "nope",
            5,
            10000,
            60000,
            null,
            null);
    try (TwilioClientFactory f = new TwilioClientFactory(wrongKey)) {
      assertThat(
              errorOf(
                  () ->
                      Message.creator(
                              new PhoneNumber("+14155550127"),
                              new PhoneNumber(TwilioSandboxFixture.NUMBER),
                              "x")
                          .create(f.create())))
          .isEqualTo(20003);
    }
  }

  @Test
  void missingSenderOrBodyIsRejected() {
    // Straight through the form, since the SDK's creators always carry a From or service and a
    // body.
    assertThatThrownBy(
            () ->
                Message.creator(new PhoneNumber("+14155550128"), "MGnotvalid", "x")
                    .create(sandbox.fx.client))
        .isInstanceOf(ApiException.class);
    Message viaService =
        Message.creator(new PhoneNumber("+14155550128"), "MG" + "0".repeat(32), "x")
            .create(sandbox.fx.client);
    assertThat(viaService.getStatus()).isEqualTo(Message.Status.ACCEPTED);
    assertThat(viaService.getMessagingServiceSid()).isEqualTo("MG" + "0".repeat(32));
  }

  @Test
  void whatsAppOutsideTheWindowFailsWith63016AndInsideIsDelivered() {
    Message outside =
        Message.creator(
                new PhoneNumber("whatsapp:+14155550129"),
                new PhoneNumber("whatsapp:" + TwilioSandboxFixture.NUMBER),
                "hi")
            .setStatusCallback(URI.create(sandbox.hooks.url("/status")))
            .create(sandbox.fx.client);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                Message.fetcher(outside.getSid()).fetch(sandbox.fx.client).getStatus()
                    == Message.Status.FAILED);
    assertThat(Message.fetcher(outside.getSid()).fetch(sandbox.fx.client).getErrorCode())
        .isEqualTo(63016);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                sandbox.hooks.about("/status", outside.getSid()).stream()
                    .anyMatch(h -> "failed".equals(h.param("MessageStatus"))));
    Recorder.Hit failed =
        sandbox.hooks.about("/status", outside.getSid()).stream()
            .filter(h -> "failed".equals(h.param("MessageStatus")))
            .findFirst()
            .orElseThrow();
    assertThat(failed.param("ErrorCode")).isEqualTo("63016");
    assertThat(failed.param("ChannelPrefix")).isEqualTo("whatsapp");

    // The handset writes first: the 24-hour window opens.
    sandbox.fx.control(
        "POST",
        "/sandbox/handsets/whatsapp:+14155550129/messages",
        Map.of("to", TwilioSandboxFixture.NUMBER, "body", "hello"));
    Message inside =
        Message.creator(
                new PhoneNumber("whatsapp:+14155550129"),
                new PhoneNumber("whatsapp:" + TwilioSandboxFixture.NUMBER),
                "hi again")
            .create(sandbox.fx.client);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                Message.fetcher(inside.getSid()).fetch(sandbox.fx.client).getStatus()
                    == Message.Status.DELIVERED);
  }
}
