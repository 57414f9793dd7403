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

/**
 * Voice over real sockets: signed call status callbacks (out of order, duplicated, with AnsweredBy
 * and CallDuration) posted to the shipped call-status route reach the outbox row and, through the
 * write-back, the call's message record in the Salesforce sandbox linked to the outbox row's
 * Contact, plus a Task; the TwiML endpoint serves that row's message, signature-checked.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VoiceWebhooksIT {
  private static final String PATH = "/webhooks/twilio/call-status";
  private static final String ADA = "+14155550101";
  private WebhookStack stack;

  @BeforeAll
  void start() throws Exception {
    stack = new WebhookStack(Map.of());
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  private String adaId() {
    return stack.salesforce.records("Contact").stream()
        .filter(r -> ADA.equals(r.get("MobilePhone")))
        .map(r -> String.valueOf(r.get("Id")))
        .findFirst()
        .orElseThrow();
  }

  private Map<String, Object> sfCall(String sid) {
    return stack.salesforce.records("Twilio_Message__c").stream()
        .filter(r -> sid.equals(r.get("Message_Sid__c")))
        .findFirst()
        .orElse(null);
  }

  private HttpResponse<String> callback(String sid, String status, Map<String, String> extra)
      throws Exception {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("AccountSid", WebhookStack.ACCOUNT);
    f.put("ApiVersion", "2010-04-01");
    f.put("CallSid", sid);
    f.put("CallStatus", status);
    f.put("Direction", "outbound-api");
    f.put("From", WebhookStack.NUMBER);
    f.put("To", ADA);
    f.putAll(extra);
    return stack.postSigned(PATH, f, WebhookStack.TOKEN, Map.of());
  }

  @Test
  void callStatusAndAnsweredByReachTheOutboxRowAndTheCrmRecord() throws Exception {
    String sid = "CAvoice000000000000000000000000001";
    String contact = adaId();
    stack.exec(
        "INSERT INTO outbox_message (idempotency_key, channel, recipient, body, status,"
            + " twilio_sid, twilio_status, crm_object, crm_record_id) VALUES ('voice-1', 'voice',"
            + " ?, 'Your appointment is tomorrow at 9', 'SENT', ?, 'queued', 'Contact', ?)",
        ADA,
        sid,
        contact);

    // Out of order: completed (with AnsweredBy and duration) before ringing and in-progress, and
    // a duplicate completed. Every signed callback is acknowledged.
    assertThat(
            callback(sid, "completed", Map.of("AnsweredBy", "human", "CallDuration", "42"))
                .statusCode())
        .isEqualTo(200);
    assertThat(callback(sid, "ringing", Map.of()).statusCode()).isEqualTo(200);
    assertThat(callback(sid, "in-progress", Map.of()).statusCode()).isEqualTo(200);
    assertThat(
            callback(sid, "completed", Map.of("AnsweredBy", "human", "CallDuration", "42"))
                .statusCode())
        .isEqualTo(200);
    // Forged: refused and not stored.
    Map<String, String> forged = new LinkedHashMap<>();
    forged.put("AccountSid", WebhookStack.ACCOUNT);
    forged.put("CallSid", sid);
    forged.put("CallStatus", "busy");
    assertThat(stack.post(PATH, forged, "bm90LWEtc2lnbmF0dXJl", Map.of()).statusCode())
        .isEqualTo(403);
    assertThat(
            stack.count(
                "SELECT COUNT(*) FROM webhook_event WHERE sid = ? AND status = 'busy'", sid))
        .isZero();
    assertThat(stack.count("SELECT COUNT(*) FROM webhook_event WHERE sid = ?", sid)).isEqualTo(3);

    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              assertThat(
                      stack.string(
                          "SELECT twilio_status FROM outbox_message WHERE twilio_sid = ?", sid))
                  .isEqualTo("completed");
              assertThat(
                      stack.string(
                          "SELECT answered_by FROM outbox_message WHERE twilio_sid = ?", sid))
                  .isEqualTo("human");
            });
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              Map<String, Object> r = sfCall(sid);
              assertThat(r).isNotNull();
              assertThat(r.get("Status__c")).isEqualTo("completed");
              assertThat(r.get("Answered_By__c")).isEqualTo("human");
              assertThat(((Number) r.get("Call_Duration__c")).intValue()).isEqualTo(42);
              assertThat(r.get("Direction__c")).isEqualTo("outbound-call");
              assertThat(r.get("Channel__c")).isEqualTo("voice");
              assertThat(r.get("Contact__c")).isEqualTo(contact);
              assertThat(stack.salesforce.records("Task"))
                  .anySatisfy(
                      t -> {
                        assertThat(t.get("WhoId")).isEqualTo(contact);
                        assertThat(String.valueOf(t.get("Description")))
                            .contains("completed")
                            .contains("answered by human");
                      });
            });
    // The late ringing/in-progress never moved it back.
    assertThat(stack.string("SELECT status FROM message_state WHERE message_sid = ?", sid))
        .isEqualTo("completed");
  }

  @Test
  void answeredByOnALateCallbackStillReachesTheRecord() throws Exception {
    // AMD's answer can ride on a callback whose state is already behind the stored one.
    String sid = "CAvoice000000000000000000000000002";
    stack.exec(
        "INSERT INTO outbox_message (idempotency_key, channel, recipient, body, status,"
            + " twilio_sid, crm_object, crm_record_id) VALUES ('voice-2', 'voice', ?, 'Hello',"
            + " 'SENT', ?, 'Contact', ?)",
        ADA,
        sid,
        adaId());
    assertThat(callback(sid, "completed", Map.of("CallDuration", "7")).statusCode()).isEqualTo(200);
    assertThat(callback(sid, "in-progress", Map.of("AnsweredBy", "machine_start")).statusCode())
        .isEqualTo(200);
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              assertThat(
                      stack.string(
                          "SELECT answered_by FROM outbox_message WHERE twilio_sid = ?", sid))
                  .isEqualTo("machine_start");
              Map<String, Object> r = sfCall(sid);
              assertThat(r).isNotNull();
              assertThat(r.get("Status__c")).isEqualTo("completed");
              assertThat(r.get("Answered_By__c")).isEqualTo("machine_start");
            });
  }

  @Test
  void twimlServesTheCallsOutboxRowByCallSidSignatureChecked() throws Exception {
    String sid = "CAvoice000000000000000000000000003";
    stack.exec(
        "INSERT INTO outbox_message (idempotency_key, channel, recipient, body, status,"
            + " twilio_sid) VALUES ('voice-3', 'voice', ?, 'Press 1 <to> confirm', 'SENT', ?)",
        ADA,
        sid);
    String path = "/webhooks/twilio/twiml";
    Map<String, String> f = new LinkedHashMap<>();
    f.put("AccountSid", WebhookStack.ACCOUNT);
    f.put("CallSid", sid);
    f.put("CallStatus", "in-progress");
    HttpResponse<String> ok = stack.postSigned(path, f, WebhookStack.TOKEN, Map.of());
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.headers().firstValue("Content-Type").orElse("")).startsWith("text/xml");
    assertThat(ok.body()).contains("<Say>Press 1 &lt;to&gt; confirm</Say>");
    // Signed for another URL (a query added): refused, the message is not served.
    HttpResponse<String> moved =
        stack.post(
            path + "?id=1",
            f,
            new org.twiliocrm.twilio.TwilioSignature(WebhookStack.TOKEN)
                .signSingle(stack.publicUrl + path, f),
            Map.of());
    assertThat(moved.statusCode()).isEqualTo(403);
    assertThat(moved.body()).doesNotContain("Press 1");
  }
}
