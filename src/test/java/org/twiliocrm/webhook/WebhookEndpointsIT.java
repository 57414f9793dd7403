package org.twiliocrm.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.twiliocrm.twilio.TwilioSignature;

/** Signature, shape, size, dedupe and echo checks on the shipped webhook routes, over HTTP. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebhookEndpointsIT {
  private static final String STATUS = "/webhooks/twilio/message-status";
  private WebhookStack stack;

  @BeforeAll
  void start() throws Exception {
    stack = new WebhookStack(Map.of("connector.http.trust-forwarded-headers", "true"));
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  private static Map<String, String> status(String sid, String status) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("AccountSid", WebhookStack.ACCOUNT);
    f.put("MessageSid", sid);
    f.put("SmsSid", sid);
    f.put("MessageStatus", status);
    f.put("SmsStatus", status);
    f.put("From", WebhookStack.NUMBER);
    f.put("To", "+14155550101");
    f.put("ApiVersion", "2010-04-01");
    return f;
  }

  private long stored(String sid) throws Exception {
    return stack.count("SELECT COUNT(*) FROM webhook_event WHERE sid = ?", sid);
  }

  @Test
  void signedCallbackIsStoredBeforeThe200AndNothingIsEchoed() throws Exception {
    HttpResponse<String> r =
        stack.postSigned(STATUS, status("SMsigned1", "sent"), WebhookStack.TOKEN, Map.of());
    assertThat(r.statusCode()).isEqualTo(200);
    // Persist, then acknowledge: the row exists the moment the 200 is read.
    assertThat(stored("SMsigned1")).isEqualTo(1);
    assertThat(r.headers().map().keySet())
        .noneMatch(h -> h.toLowerCase().startsWith("camel"))
        .noneMatch(h -> h.equalsIgnoreCase("X-Twilio-Signature"))
        .noneMatch(h -> h.equalsIgnoreCase("MessageSid"))
        .noneMatch(h -> h.equalsIgnoreCase("AccountSid"));
  }

  @Test
  void forgedAlteredAndUnsignedAre403AndStoreNothing() throws Exception {
    Map<String, String> f = status("SMforged1", "delivered");
    String good = new TwilioSignature(WebhookStack.TOKEN).signSingle(stack.publicUrl + STATUS, f);
    // forged: signed with another token
    assertThat(stack.postSigned(STATUS, f, "not-the-token", Map.of()).statusCode()).isEqualTo(403);
    // altered: a valid signature over different parameters
    Map<String, String> altered = new LinkedHashMap<>(f);
    altered.put("MessageStatus", "failed");
    assertThat(stack.post(STATUS, altered, good, Map.of()).statusCode()).isEqualTo(403);
    // unsigned
    HttpResponse<String> unsigned = stack.post(STATUS, f, null, Map.of());
    assertThat(unsigned.statusCode()).isEqualTo(403);
    assertThat(unsigned.headers().map().keySet()).noneMatch(h -> h.equalsIgnoreCase("MessageSid"));
    assertThat(stored("SMforged1")).isZero();
    // the untouched original passes
    assertThat(stack.post(STATUS, f, good, Map.of()).statusCode()).isEqualTo(200);
    assertThat(stored("SMforged1")).isEqualTo(1);
  }

  @Test
  void malformedIs400AndOversizedIs413() throws Exception {
    Map<String, String> noSid = status("x", "sent");
    noSid.remove("MessageSid");
    noSid.remove("SmsSid");
    assertThat(stack.postSigned(STATUS, noSid, WebhookStack.TOKEN, Map.of()).statusCode())
        .isEqualTo(400);
    Map<String, String> big = status("SMbig1", "sent");
    // Many fields of 7 KB each, so the whole request is over the limit (one field over Vert.x's
    // 8 KB field limit is refused with 413 before the route: WebhookInputIT).
    for (int i = 0; i < 10; i++) {
      big.put("Extra" + i, "x".repeat(7_000));
    }
    assertThat(stack.postSigned(STATUS, big, WebhookStack.TOKEN, Map.of()).statusCode())
        .isEqualTo(413);
    assertThat(stored("SMbig1")).isZero();
  }

  @Test
  void jsonBodiesAreCheckedWithBodySha256() throws Exception {
    String json =
        "{\"AccountSid\":\""
            + WebhookStack.ACCOUNT
            + "\",\"MessageSid\":\"SMjson1\","
            + "\"MessageStatus\":\"sent\"}";
    String path = STATUS + "?bodySHA256=" + TwilioSignature.bodySha256(json);
    String sig = new TwilioSignature(WebhookStack.TOKEN).sign(stack.publicUrl + path, Map.of());
    assertThat(postJson(path, json.replace("sent", "failed"), sig).statusCode()).isEqualTo(403);
    assertThat(postJson(path, "{not json", sig).statusCode()).isIn(400, 403);
    assertThat(stored("SMjson1")).isZero();
    assertThat(postJson(path, json, sig).statusCode()).isEqualTo(200);
    assertThat(stored("SMjson1")).isEqualTo(1);
  }

  private HttpResponse<String> postJson(String path, String json, String sig) throws Exception {
    return stack.http.send(
        java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + stack.port + path))
            .header("Content-Type", "application/json")
            .header("X-Twilio-Signature", sig)
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void publicUrlBehindAProxyWithAndWithoutDefaultPort() throws Exception {
    Map<String, String> f = status("SMproxy1", "sent");
    Map<String, String> fwd =
        Map.of("X-Forwarded-Proto", "https", "X-Forwarded-Host", "hooks.example.com");
    TwilioSignature s = new TwilioSignature(WebhookStack.TOKEN);
    String withPort = s.signSingle("https://hooks.example.com:443" + STATUS, f);
    String without = s.signSingle("https://hooks.example.com" + STATUS, f);
    String wrongHost = s.signSingle("https://evil.example.com" + STATUS, f);
    assertThat(stack.post(STATUS, f, wrongHost, fwd).statusCode()).isEqualTo(403);
    assertThat(stack.post(STATUS, f, withPort, fwd).statusCode()).isEqualTo(200);
    assertThat(stack.post(STATUS, f, without, fwd).statusCode()).isEqualTo(200);
    // The second one was a duplicate: stored once.
    assertThat(stored("SMproxy1")).isEqualTo(1);
  }

  @Test
  void subAccountsSignWithTheirOwnToken() throws Exception {
    Map<String, String> f = status("SMsub1", "sent");
    f.put("AccountSid", WebhookStack.SUB_ACCOUNT);
    assertThat(stack.postSigned(STATUS, f, WebhookStack.TOKEN, Map.of()).statusCode())
        .isEqualTo(403);
    assertThat(stack.postSigned(STATUS, f, WebhookStack.SUB_TOKEN, Map.of()).statusCode())
        .isEqualTo(200);
    Map<String, String> unknown = status("SMsub2", "sent");
    unknown.put("AccountSid", "AC99999999999999999999999999999999");
    assertThat(stack.postSigned(STATUS, unknown, WebhookStack.TOKEN, Map.of()).statusCode())
        .isEqualTo(403);
  }

  @Test
  void duplicatesAreDroppedByMessageSidAndStatus() throws Exception {
    for (int i = 0; i < 3; i++) {
      assertThat(
              stack
                  .postSigned(STATUS, status("SMdup1", "delivered"), WebhookStack.TOKEN, Map.of())
                  .statusCode())
          .isEqualTo(200);
    }
    stack.postSigned(STATUS, status("SMdup1", "sent"), WebhookStack.TOKEN, Map.of());
    assertThat(stored("SMdup1")).isEqualTo(2);
    // ... and the late 'sent' does not move the delivered message back.
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(
                        stack.string(
                            "SELECT status FROM message_state WHERE message_sid = ?", "SMdup1"))
                    .isEqualTo("delivered"));
  }

  @Test
  void rejectionsAreCountedInTheMetrics() throws Exception {
    stack.post(STATUS, status("SMmetric1", "sent"), "bogus", Map.of());
    HttpResponse<String> m = stack.get("/observe/metrics");
    assertThat(m.statusCode()).isEqualTo(200);
    assertThat(m.body()).contains("twiliocrm_webhook_rejected_total").contains("bad-signature");
  }

  @Test
  void twimlEndpointServesTheOutboxRowsMessageSignatureChecked() throws Exception {
    stack.exec(
        "INSERT INTO outbox_message (idempotency_key, channel, recipient, body, status, twilio_sid)"
            + " VALUES ('twiml-1', 'voice', '+14155550101', 'Your visit is at 3 & bring ID', 'SENT',"
            + " 'CAtwiml1')");
    String id =
        stack.string(
            "SELECT CAST(id AS VARCHAR) FROM outbox_message WHERE idempotency_key = ?", "twiml-1");
    String path = "/webhooks/twilio/twiml?id=" + id;
    Map<String, String> f = new LinkedHashMap<>();
    f.put("AccountSid", WebhookStack.ACCOUNT);
    f.put("CallSid", "CAtwiml1");
    HttpResponse<String> ok = stack.postSigned(path, f, WebhookStack.TOKEN, Map.of());
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.headers().firstValue("Content-Type").orElse("")).startsWith("text/xml");
    assertThat(ok.body()).contains("<Say>Your visit is at 3 &amp; bring ID</Say>");
    assertThat(ok.headers().map().keySet()).noneMatch(h -> h.equalsIgnoreCase("CallSid"));
    HttpResponse<String> unsigned = stack.post(path, f, null, Map.of());
    assertThat(unsigned.statusCode()).isEqualTo(403);
    assertThat(unsigned.body()).doesNotContain("Your visit");
  }
}
