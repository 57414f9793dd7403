package org.twiliocrm.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * The outbox route as shipped (routes/outbox-to-twilio.camel.yaml + kamelets/) against a database
 * of each supported vendor and the Twilio sandbox over HTTP. Each test uses recipients of its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class OutboxRouteContract {
  /** The subclass's database vendor. */
  abstract TestDatabase.Kind kind();

  static final String FROM = "+15005550006";
  static final AtomicInteger NEXT = new AtomicInteger(100);
  TestDatabase database;
  SandboxControl sandbox;
  OutboxNode node;
  Rows rows;

  static final String VERIFY_SERVICE = "VA" + "a".repeat(32);

  @BeforeAll
  void start() throws Exception {
    // The sandbox knows the Verify service the outbox names, as a real account would (an unknown
    // service is 404/20404 there).
    sandbox = new SandboxControl(Map.of("sandbox.twilio.verify.services", VERIFY_SERVICE));
    database = TestDatabase.of(kind(), "outbox_route");
    node =
        OutboxNode.start(
            database.config(kind() == TestDatabase.Kind.POSTGRES ? 30 : 20),
            sandbox.baseUrl(),
            Map.of(
                "outbox.poll-interval", "300ms",
                "outbox.backoff.initial", "200ms",
                "outbox.max-attempts", "3",
                "outbox.reconcile.delay", "200ms",
                "outbox.instance-id", "route-it",
                "outbox.verify.service-sid", VERIFY_SERVICE));
    rows = new Rows(node.db.dataSource());
    // The shipped templates start PENDING_APPROVAL like any new version; these tests are about the
    // route, so a named approver signs them off (the gate itself: TemplateApprovalContract).
    node.approveAllTemplates("route-contract-approver");
  }

  @AfterAll
  void stop() {
    node.close();
    sandbox.close();
    database.close();
  }

  @AfterEach
  void noFaults() {
    sandbox.clearFaults();
  }

  static String recipient() {
    return "+1415555" + String.format("%04d", NEXT.incrementAndGet());
  }

  void awaitStatus(long id, String status) {
    // The first send also waits for the sandbox's OpenAPI validator to resolve its schemas, which
    // took over 20 s on a loaded two-core machine.
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(50))
        .untilAsserted(
            () ->
                assertThat(rows.status(id))
                    .as(() -> "row " + rows.row(id) + " attempts " + rows.attempts(id))
                    .isEqualTo(status));
  }

  @Test
  void aPlainSmsIsSentOnceWithSidStatusAndSegmentsAndThePlusSurvives() {
    String to = recipient();
    long id =
        rows.insert(
            "happy",
            "channel",
            "sms",
            "recipient",
            to,
            "sender",
            FROM,
            "body",
            "Hello there",
            "crm_object",
            "Appointment",
            "crm_record_id",
            "a1");
    awaitStatus(id, "SENT");
    Map<String, Object> row = rows.row(id);
    String sid = (String) row.get("twilio_sid");
    assertThat(sid).startsWith("SM");
    assertThat(row).containsEntry("num_segments", 1);
    assertThat(row).containsEntry("attempts", 1).containsEntry("lease_owner", null);
    // The create answered "queued"; the sandbox's signed status callbacks then come back through
    // the connector's own webhook and carry the row to the final status.
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(() -> assertThat(rows.row(id)).containsEntry("twilio_status", "delivered"));
    // The '+' trap: Twilio got the number with its plus, not " 1415...".
    List<Map<String, Object>> at = sandbox.messagesTo(to);
    assertThat(at).hasSize(1);
    assertThat(at.get(0)).containsEntry("to", to).containsEntry("body", "Hello there");
    assertThat(rows.attempts(id))
        .singleElement()
        .satisfies(
            a ->
                assertThat(a)
                    .containsEntry("kind", "SEND")
                    .containsEntry("outcome", "SENT")
                    .containsEntry("twilio_sid", sid));
  }

  @Test
  void aNationalNumberIsNormalisedWithTheDefaultRegion() {
    long id =
        rows.insert(
            "national",
            "channel",
            "sms",
            "recipient",
            "(415) 555-0042",
            "sender",
            FROM,
            "body",
            "x");
    awaitStatus(id, "SENT");
    assertThat(sandbox.messagesTo("+14155550042")).hasSize(1);
  }

  @Test
  void aTemplateIsRenderedWithItsVariables() {
    String to = recipient();
    long id =
        rows.insert(
            "tpl",
            "channel",
            "sms",
            "recipient",
            to,
            "sender",
            FROM,
            "template_name",
            "appointment-reminder",
            "template_variables",
            "{\"name\":\"Ana\",\"date\":\"1 May\",\"time\":\"10:00\"}");
    awaitStatus(id, "SENT");
    assertThat(sandbox.messagesTo(to).get(0).get("body"))
        .isEqualTo(
            "Hi Ana, this is a reminder of your appointment on 1 May at 10:00. Reply STOP to opt"
                + " out.");
  }

  @Test
  void eachValidationFailureFailsItsRowWithAReasonAndTheBatchGoesOn() {
    String good = recipient();
    String bad = recipient();
    long invalidTo =
        rows.insert("v1", "channel", "sms", "recipient", "12", "sender", FROM, "body", "x");
    long unknownTpl =
        rows.insert(
            "v2", "channel", "sms", "recipient", bad, "sender", FROM, "template_name", "nope");
    long missingVars =
        rows.insert(
            "v3",
            "channel",
            "sms",
            "recipient",
            bad,
            "sender",
            FROM,
            "template_name",
            "appointment-reminder",
            "template_variables",
            "{\"name\":\"Ana\"}");
    StringBuilder media = new StringBuilder("[");
    for (int i = 0; i < 11; i++) {
      media.append(i == 0 ? "" : ",").append("\"https://example.com/").append(i).append(".png\"");
    }
    long tooMuchMedia =
        rows.insert(
            "v4",
            "channel",
            "mms",
            "recipient",
            bad,
            "sender",
            FROM,
            "media_urls",
            media.append("]").toString());
    long tooLong =
        rows.insert(
            "v5", "channel", "sms", "recipient", bad, "sender", FROM, "body", "a".repeat(1601));
    long waOnSms =
        rows.insert(
            "v6", "channel", "sms", "recipient", bad, "sender", "whatsapp:" + FROM, "body", "x");
    long badContent =
        rows.insert(
            "v7",
            "channel",
            "whatsapp",
            "recipient",
            bad,
            "sender",
            "whatsapp:" + FROM,
            "content_sid",
            "HX123");
    long noSender = rows.insert("v8", "channel", "sms", "recipient", bad, "body", "x");
    long fine =
        rows.insert("v0", "channel", "sms", "recipient", good, "sender", FROM, "body", "ok");
    awaitStatus(fine, "SENT");
    Map<Long, String> expected =
        Map.of(
            invalidTo, "INVALID_RECIPIENT",
            unknownTpl, "TEMPLATE_UNKNOWN",
            missingVars, "TEMPLATE_VARIABLES_MISSING",
            tooMuchMedia, "MEDIA_TOO_MANY",
            tooLong, "BODY_TOO_LONG",
            waOnSms, "WHATSAPP_ADDRESS",
            badContent, "CONTENT_SID_INVALID",
            noSender, "SENDER_MISSING");
    expected.forEach(
        (id, code) -> {
          awaitStatus(id, "FAILED");
          assertThat(rows.row(id)).containsEntry("reason_code", code);
          assertThat((String) rows.row(id).get("reason")).isNotBlank();
          assertThat(rows.attempts(id)).extracting(a -> a.get("kind")).containsExactly("VALIDATE");
        });
    assertThat(rows.row(missingVars).get("reason")).isEqualTo("date, time");
    // Nothing invalid reached Twilio.
    assertThat(sandbox.messagesTo(bad)).isEmpty();
    assertThat(sandbox.messagesTo(good)).hasSize(1);
  }

  @Test
  void anOptedOutRecipientIsBlockedAndNotSent() {
    String to = recipient();
    rows.exec(
        "INSERT INTO consent (recipient, sender_scope, status, keyword, source, updated_at)"
            + " VALUES ('"
            + to
            + "', '*', 'OPTED_OUT', 'STOP', 'webhook', now())");
    String other = recipient();
    long blocked =
        rows.insert("c1", "channel", "sms", "recipient", to, "sender", FROM, "body", "x");
    long allowed =
        rows.insert("c2", "channel", "sms", "recipient", other, "sender", FROM, "body", "x");
    awaitStatus(blocked, "BLOCKED");
    awaitStatus(allowed, "SENT");
    assertThat(rows.row(blocked)).containsEntry("reason_code", "OPTED_OUT");
    assertThat((String) rows.row(blocked).get("reason")).contains("STOP");
    assertThat(sandbox.messagesTo(to)).isEmpty();
  }

  @Test
  void permanentTwilioErrorsFailTheRowWithCodeAndMessage() {
    long invalid =
        rows.insert(
            "p1", "channel", "sms", "recipient", "+15005550001", "sender", FROM, "body", "x");
    long optedOut =
        rows.insert(
            "p2", "channel", "sms", "recipient", "+15005550004", "sender", FROM, "body", "x");
    awaitStatus(invalid, "FAILED");
    awaitStatus(optedOut, "FAILED");
    assertThat(rows.row(invalid))
        .containsEntry("error_code", 21211)
        .containsEntry("reason_code", "TWILIO_REJECTED")
        .containsEntry("attempts", 1);
    assertThat(rows.row(optedOut)).containsEntry("error_code", 21610);
    assertThat(rows.attempts(invalid))
        .singleElement()
        .satisfies(
            a ->
                assertThat(a)
                    .containsEntry("outcome", "PERMANENT")
                    .containsEntry("http_status", 400));
  }

  @Test
  void aSenderTheAccountDoesNotOwnIsBlockedBeforeAnyPostAndTheOthersKeepFlowing() {
    long before = sandbox.messagePosts();
    String to = recipient();
    String other = recipient();
    // The sender check (routes/outbox-to-twilio.camel.yaml, step senderGate) reads the account's
    // numbers from the sandbox's IncomingPhoneNumbers: +14155550100 is not one of them.
    long id =
        rows.insert("n1", "channel", "sms", "recipient", to, "sender", "+14155550100", "body", "x");
    long ok = rows.insert("n2", "channel", "sms", "recipient", other, "sender", FROM, "body", "y");
    awaitStatus(id, "BLOCKED");
    awaitStatus(ok, "SENT");
    assertThat(rows.row(id))
        .containsEntry("reason_code", "SENDER_NOT_ALLOWED")
        .containsEntry("error_code", null);
    assertThat((String) rows.row(id).get("reason"))
        .startsWith("the account does not own the sender")
        .doesNotContain("+14155550100");
    assertThat(sandbox.messagePosts() - before).as("only the good row reached Twilio").isEqualTo(1);
    assertThat(sandbox.messagesTo(to)).isEmpty();
    assertThat(sandbox.messagesTo(other)).hasSize(1);
    // A magic test number is left to Twilio, which answers it by its table (21606).
    long magic =
        rows.insert(
            "n3",
            "channel",
            "sms",
            "recipient",
            recipient(),
            "sender",
            "+15005550007",
            "body",
            "z");
    awaitStatus(magic, "FAILED");
    assertThat(rows.row(magic)).containsEntry("error_code", 21606);
  }

  @Test
  void aQueueFullSenderIsTransientRetriedThenGivenUpWithItsReason() {
    long before = sandbox.messagePosts();
    // Twilio's magic "queue full" sender: 21611, nothing created, a later try may work.
    long id =
        rows.insert(
            "q1",
            "channel",
            "sms",
            "recipient",
            recipient(),
            "sender",
            "+15005550008",
            "body",
            "x");
    awaitStatus(id, "FAILED");
    assertThat(rows.row(id))
        .containsEntry("error_code", 21611)
        .containsEntry("reason_code", "RETRIES_EXHAUSTED")
        .containsEntry("attempts", 3);
    assertThat((String) rows.row(id).get("reason")).contains("queue at Twilio is full");
    assertThat(rows.attempts(id))
        .extracting(a -> a.get("outcome"))
        .containsExactly("TRANSIENT", "TRANSIENT", "TRANSIENT_EXHAUSTED");
    assertThat(sandbox.messagePosts() - before).isEqualTo(3);
  }

  @Test
  void a720CharacterUcs2BodyIsSentAsTwilioAcceptsIt() {
    String to = recipient();
    String body = "ж".repeat(720);
    long id = rows.insert("u1", "channel", "sms", "recipient", to, "sender", FROM, "body", body);
    awaitStatus(id, "SENT");
    assertThat(rows.row(id)).containsEntry("num_segments", 11);
    assertThat(sandbox.messagesTo(to))
        .singleElement()
        .satisfies(
            m -> assertThat(m).containsEntry("body", body).containsEntry("num_segments", "11"));
  }

  @Test
  void aBareWhatsAppSenderIsNormalisedAndSent() throws Exception {
    String to = recipient();
    // WhatsApp needs a recorded opt-in (governance/recipients.yaml, issue 14)
    node.ctx
        .getRegistry()
        .lookupByNameAndType("consentLedger", org.twiliocrm.governance.ConsentLedger.class)
        .record(
            new org.twiliocrm.governance.ConsentLedger.Event(
                to, "transactional", "OPTED_IN", "api", "test", java.time.Instant.now(), null));
    long id =
        rows.insert("w1", "channel", "whatsapp", "recipient", to, "sender", FROM, "body", "hi");
    awaitStatus(id, "SENT");
    assertThat(sandbox.messagesTo("whatsapp:" + to))
        .singleElement()
        .satisfies(m -> assertThat(m).containsEntry("from", "whatsapp:" + FROM));
  }

  @Test
  void a503IsRetriedWithBackoffAndEachCreateIsExactlyOnePost() {
    sandbox.faults(Map.of("error503Rate", 1.0));
    long before = sandbox.messagePosts();
    String to = recipient();
    long id = rows.insert("t1", "channel", "sms", "recipient", to, "sender", FROM, "body", "x");
    await().atMost(Duration.ofSeconds(30)).until(() -> rows.attempts(id).size() >= 1);
    // The hidden-retry trap: one create, one POST (twilio-java and HttpClient retries are off).
    assertThat(sandbox.messagePosts() - before).isEqualTo(1);
    assertThat(rows.attempts(id).get(0))
        .containsEntry("outcome", "TRANSIENT")
        .containsEntry("http_status", 503);
    sandbox.clearFaults();
    awaitStatus(id, "SENT");
    assertThat(rows.row(id).get("attempts")).isIn(2, 3);
    assertThat(sandbox.messagesTo(to)).hasSize(1);
    assertThat(sandbox.messagePosts() - before)
        .isEqualTo(((Number) rows.row(id).get("attempts")).longValue());
  }

  @Test
  void transientFailuresStopAtTheConfiguredLimit() {
    sandbox.faults(Map.of("error503Rate", 1.0));
    long before = sandbox.messagePosts();
    long id =
        rows.insert("t2", "channel", "sms", "recipient", recipient(), "sender", FROM, "body", "x");
    awaitStatus(id, "FAILED");
    assertThat(rows.row(id))
        .containsEntry("reason_code", "RETRIES_EXHAUSTED")
        .containsEntry("attempts", 3)
        .containsEntry("error_code", 20503);
    assertThat(sandbox.messagePosts() - before).isEqualTo(3);
  }

  @Test
  void aCreatedButErroredSendIsReconciledByLookupAndNotResent() {
    sandbox.faults(Map.of("createdButErrorRate", 1.0));
    long before = sandbox.messagePosts();
    String to = recipient();
    long id = rows.insert("a1", "channel", "sms", "recipient", to, "sender", FROM, "body", "amb");
    awaitStatus(id, "SENT");
    assertThat(rows.row(id)).containsEntry("reason_code", "RECONCILED_FOUND");
    assertThat(sandbox.messagesTo(to)).hasSize(1);
    assertThat((String) rows.row(id).get("twilio_sid"))
        .isEqualTo(sandbox.messagesTo(to).get(0).get("sid"));
    assertThat(sandbox.messagePosts() - before).isEqualTo(1);
    assertThat(rows.attempts(id))
        .extracting(a -> a.get("kind") + ":" + a.get("outcome"))
        .containsExactly("SEND:AMBIGUOUS", "RECONCILE:FOUND");
  }

  @Test
  void anAmbiguousSendThatNeverArrivedIsResentOnceAfterTheLookup() {
    sandbox.faults(Map.of("error500Rate", 1.0));
    String to = recipient();
    long id = rows.insert("a2", "channel", "sms", "recipient", to, "sender", FROM, "body", "amb2");
    await().atMost(Duration.ofSeconds(30)).until(() -> !rows.attempts(id).isEmpty());
    sandbox.clearFaults();
    awaitStatus(id, "SENT");
    assertThat(sandbox.messagesTo(to)).hasSize(1);
    assertThat(rows.attempts(id))
        .extracting(a -> a.get("kind") + ":" + a.get("outcome"))
        .contains("SEND:AMBIGUOUS", "RECONCILE:NOT_FOUND_RESEND", "SEND:SENT");
  }

  @Test
  void sendAfterHoldsTheRowUntilItsTime() {
    String to = recipient();
    Timestamp at = Timestamp.from(Instant.now().plusMillis(1500));
    long id =
        rows.insert(
            "s1", "channel", "sms", "recipient", to, "sender", FROM, "body", "x", "send_after", at);
    await()
        .during(Duration.ofMillis(1000))
        .atMost(Duration.ofMillis(1400))
        .until(() -> "PENDING".equals(rows.status(id)));
    awaitStatus(id, "SENT");
    assertThat(rows.row(id).get("sent_at")).isNotNull();
    assertThat(rows.attempts(id)).extracting(a -> a.get("outcome")).containsExactly("SENT");
  }

  @SuppressWarnings("unchecked")
  List<Map<String, Object>> inspect(String what, String to) {
    return ((List<Map<String, Object>>) sandbox.call("GET", "/sandbox/" + what, null))
        .stream().filter(m -> to.equals(m.get("to"))).toList();
  }

  @Test
  void aVoiceRowPlacesOneCallThatSpeaksTheBody() {
    String to = recipient();
    long id =
        rows.insert(
            "voice1",
            "channel",
            "voice",
            "recipient",
            to,
            "sender",
            FROM,
            "body",
            "Your appointment is tomorrow at 10 & bring your card");
    awaitStatus(id, "SENT");
    assertThat((String) rows.row(id).get("twilio_sid")).startsWith("CA");
    List<Map<String, Object>> calls = inspect("calls", to);
    assertThat(calls).hasSize(1);
    assertThat((String) calls.get(0).get("twiml"))
        .isEqualTo(
            "<Response><Say>Your appointment is tomorrow at 10 &amp; bring your card</Say>"
                + "</Response>");
  }

  @Test
  void aVerifyRowStartsOneVerification() {
    String to = recipient();
    long id = rows.insert("verify1", "channel", "verify", "recipient", to);
    awaitStatus(id, "SENT");
    assertThat((String) rows.row(id).get("twilio_sid")).startsWith("VE");
    assertThat(rows.row(id)).containsEntry("twilio_status", "pending");
    assertThat(inspect("verifications", to)).hasSize(1);
  }

  @Test
  void anAmbiguousVerifyIsNeverSentTwice() {
    sandbox.faults(Map.of("createdButErrorRate", 1.0));
    String to = recipient();
    long id = rows.insert("verify2", "channel", "verify", "recipient", to);
    awaitStatus(id, "FAILED");
    assertThat(rows.row(id)).containsEntry("reason_code", "AMBIGUOUS_NOT_RESENT");
    assertThat(inspect("verifications", to)).hasSize(1);
    assertThat(rows.attempts(id))
        .extracting(a -> a.get("kind") + ":" + a.get("outcome"))
        .containsExactly("SEND:AMBIGUOUS", "RECONCILE:NOT_RESENT");
  }
}
