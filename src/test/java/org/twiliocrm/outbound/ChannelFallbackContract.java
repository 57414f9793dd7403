package org.twiliocrm.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.twiliocrm.app.ConnectorApp;
import org.twiliocrm.governance.templates.TemplateApprovals;
import org.twiliocrm.testsupport.FreePort;
import org.twiliocrm.testsupport.TestConnector;
import org.twiliocrm.testsupport.TestDatabase;
import org.twiliocrm.twilio.TwilioSignature;

/**
 * Channel fallback end to end (docs/outbox.md#channel-fallback): the whole connector (outbox,
 * webhooks, Salesforce write-back, the shipped routes and kamelets) on a real database, with the
 * Twilio and Salesforce sandboxes over HTTP. The sandbox's outcome rules decide each send's fate: a
 * free-form WhatsApp message to a handset that never wrote in fails with 63016, the default rule
 * for whatsapp:+15005556016 refuses the create with 63016, +15005553003 is undelivered (30003).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class ChannelFallbackContract {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final AtomicInteger NEXT = new AtomicInteger(100);
  private static final String WA_SENDER = "whatsapp:+15005550006";

  /** The SMS steps come from a second number, so a consent scope can tell the channels apart. */
  private static final String SMS_SENDER = "+15005550010";

  abstract TestDatabase.Kind kind();

  TestDatabase database;
  ConnectorApp app;
  Path dir;
  int port;
  String twilio;
  String salesforce;

  /** The approval policy in force (rewritten by the policy-gate test). */
  Path policyFile;

  /** The parent of the duplicate/restart tests (set by the first test). */
  long firstParent;

  String firstParentSid;

  @BeforeAll
  void start() throws Exception {
    database = TestDatabase.of(kind(), "fallback");
    dir = Files.createTempDirectory("fallback-it");
    Files.writeString(
        dir.resolve("orders.yaml"),
        """
        templates:
          order-update:
            purpose: transactional
            fallback: [whatsapp, sms]
            variables:
              order: { max-length: 12, gsm7: true }
            locales:
              en:
                sms: "Order {{order}} has shipped."
                whatsapp:
                  content-sid: HX0123456789abcdef0123456789abcdef
                  variables: { "1": order }
        """);
    // A rule none of the other tests meets; the policy-gate test swaps in one for calls.
    policyFile = Files.createTempDirectory("fallback-policy").resolve("policies.yaml");
    Files.writeString(policyFile, policy("mms"));
    port = FreePort.find();
    app = startApp();
  }

  ConnectorApp startApp() throws Exception {
    ConnectorApp a =
        TestConnector.on(database)
            .port(port)
            .property("outbox.templates.location", dir.toString())
            .property("templates.reload-interval", "200ms")
            .property("governance.policies.location", policyFile.toString())
            .property("governance.reload-interval", "200ms")
            .property("outbox.poll-interval", "200ms")
            .property("outbox.fallback.senders", "sms=" + SMS_SENDER)
            .property("crm.events.enabled", "false")
            .twilio("numbers", "+15005550006," + SMS_SENDER)
            .property("webhook.crm.writeback.tick-millis", "100")
            .property("webhook.crm.writeback.flush-millis", "100")
            .start()
            .app();
    twilio = a.property("twilio.base-url");
    salesforce = a.property("camel.component.salesforce.loginUrl");
    return a;
  }

  @AfterAll
  void stop() {
    if (app != null) {
      app.stop();
    }
    if (database != null) {
      database.close();
    }
  }

  static String handset() {
    return "+1415555" + String.format("%04d", NEXT.incrementAndGet());
  }

  long insert(String key, String channel, String to, String from, String body, String chain) {
    if ("whatsapp".equals(channel)) {
      optIn(to);
    }
    database.exec(
        "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body,"
            + " fallback_chain) VALUES (?, ?, ?, ?, ?, ?)",
        key,
        channel,
        to,
        from,
        body,
        chain);
    return Long.parseLong(
        database.string("SELECT id FROM outbox_message WHERE idempotency_key = ?", key));
  }

  static String policy(String heldChannel) {
    return "approval-expiry: 1h\nrules:\n  - name: calls-need-a-human\n    when:\n      channel: ["
        + heldChannel
        + "]\n";
  }

  /**
   * A fallback step is a new row and meets the approval gate like any other: with calls held for a
   * human, an undelivered SMS's voice step is HELD, not placed.
   */
  @Test
  @Order(20)
  void aFallbackStepIsHeldByThePolicyGateLikeAnyRow() throws Exception {
    org.twiliocrm.governance.Policies policies =
        app.camelContext()
            .getRegistry()
            .lookupByNameAndType("governancePolicies", org.twiliocrm.governance.Policies.class);
    Files.writeString(policyFile, policy("voice"));
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                policies.current().rules().stream().anyMatch(r -> r.channels().contains("voice")));
    // +15005553003: the sandbox's rule makes SMS to it undelivered (30003).
    long parent =
        insert(
            "gate-" + NEXT.incrementAndGet(),
            "sms",
            "+15005553003",
            SMS_SENDER,
            "Held call",
            "sms,voice");
    long voice = childOf(parent);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> List.of("SENT", "HELD", "FAILED", "BLOCKED").contains(status(voice)));
    assertThat(row(voice))
        .containsEntry("channel", "voice")
        .containsEntry("status", "HELD")
        .containsEntry("reason_code", "AWAITING_APPROVAL");
    assertThat(row(voice).get("twilio_sid")).isNull();
  }

  /** WhatsApp needs a recorded opt-in (governance/recipients.yaml): the handset gave one. */
  void optIn(String to) {
    try {
      app.camelContext()
          .getRegistry()
          .lookupByNameAndType("consentLedger", org.twiliocrm.governance.ConsentLedger.class)
          .record(
              new org.twiliocrm.governance.ConsentLedger.Event(
                  to, "transactional", "OPTED_IN", "api", "test", java.time.Instant.now(), null));
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  Map<String, String> row(long id) {
    List<List<String>> r =
        database.rows(
            "SELECT status, channel, recipient, sender, parent_id, fallback_step, fallback_reason,"
                + " fallback_chain, twilio_sid, error_code, reason_code, body FROM outbox_message"
                + " WHERE id = ?",
            id);
    String[] names = {
      "status",
      "channel",
      "recipient",
      "sender",
      "parent_id",
      "fallback_step",
      "fallback_reason",
      "fallback_chain",
      "twilio_sid",
      "error_code",
      "reason_code",
      "body"
    };
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < names.length; i++) {
      m.put(names[i], r.get(0).get(i));
    }
    return m;
  }

  /** The fallback row of {@code parent}, once there is one. */
  long childOf(long parent) {
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                database.count("SELECT COUNT(*) FROM outbox_message WHERE parent_id = ?", parent)
                    == 1);
    return Long.parseLong(
        database.string("SELECT id FROM outbox_message WHERE parent_id = ?", parent));
  }

  String status(long id) {
    return database.string("SELECT status FROM outbox_message WHERE id = ?", id);
  }

  JsonNode get(String url) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(url + " " + r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  /** What the handset received, as (channel, body) pairs. */
  List<String> inbox(String number) throws Exception {
    List<String> out = new ArrayList<>();
    for (JsonNode e : get(twilio + "/sandbox/handsets/" + enc(number) + "/inbox")) {
      out.add(e.path("channel").asText() + ": " + e.path("body").asText());
    }
    return out;
  }

  /** The sandbox's messages to a recipient (either channel), as "to status error_code". */
  List<String> sandboxMessages(String to) throws Exception {
    List<String> out = new ArrayList<>();
    for (JsonNode m : get(twilio + "/sandbox/messages")) {
      String t = m.path("to").asText();
      if (t.equals(to) || t.equals("whatsapp:" + to)) {
        JsonNode code = m.path("error_code");
        out.add(
            t
                + " "
                + m.path("status").asText()
                + " "
                + (code.isNull() || code.isMissingNode() ? "" : code.asText()));
      }
    }
    return out;
  }

  /** The Salesforce sandbox's Twilio_Message__c record for a MessageSid, once written. */
  JsonNode record(String sid, String field, String value) throws Exception {
    JsonNode[] found = new JsonNode[1];
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              for (JsonNode r : get(salesforce + "/sandbox/records?object=Twilio_Message__c")) {
                if (sid.equals(r.path("Message_Sid__c").asText())
                    && value.equals(r.path(field).asText())) {
                  found[0] = r;
                  return true;
                }
              }
              return false;
            });
    return found[0];
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  // ------------------------------------------------------------------------------------ tests

  @Test
  @Order(1)
  void aFreeFormWhatsAppOutsideTheWindowFailsWith63016AndTheSmsReachesTheSameHandset()
      throws Exception {
    String to = handset();
    long parent =
        insert("wa-63016-" + to, "whatsapp", to, WA_SENDER, "Your order shipped", "whatsapp,sms");
    long child = childOf(parent);
    await().atMost(Duration.ofSeconds(60)).until(() -> "SENT".equals(status(child)));
    Map<String, String> c = row(child);
    assertThat(c)
        .containsEntry("channel", "sms")
        .containsEntry("recipient", to)
        .containsEntry("sender", SMS_SENDER)
        .containsEntry("parent_id", String.valueOf(parent))
        .containsEntry("fallback_step", "1")
        .containsEntry("fallback_chain", "whatsapp,sms")
        .containsEntry("fallback_reason", "whatsapp failed: Twilio 63016")
        .containsEntry("body", "Your order shipped");
    // The WhatsApp message reached Twilio and failed there; the SMS was delivered to the handset.
    assertThat(row(parent)).containsEntry("status", "SENT");
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(sandboxMessages(to))
                    .containsExactlyInAnyOrder(
                        "whatsapp:" + to + " failed 63016", to + " delivered "));
    assertThat(inbox(to)).containsExactly("sms: Your order shipped");
    // The parent's attempt log says what happened.
    assertThat(
            database.count(
                "SELECT COUNT(*) FROM outbox_attempt WHERE message_id = ? AND kind = 'FALLBACK'"
                    + " AND outcome = 'QUEUED'",
                parent))
        .isEqualTo(1);
    // The CRM record of the SMS carries the chain: the WhatsApp SID, step, reason, chain.
    String parentSid = row(parent).get("twilio_sid");
    String childSid = row(child).get("twilio_sid");
    JsonNode sms = record(childSid, "Status__c", "delivered");
    assertThat(sms.path("Fallback_Parent_Sid__c").asText()).isEqualTo(parentSid);
    assertThat(sms.path("Fallback_Step__c").asInt()).isEqualTo(1);
    assertThat(sms.path("Fallback_Reason__c").asText()).isEqualTo("whatsapp failed: Twilio 63016");
    assertThat(sms.path("Fallback_Chain__c").asText()).isEqualTo("whatsapp,sms");
    assertThat(sms.path("Channel__c").asText()).isEqualTo("sms");
    JsonNode wa = record(parentSid, "Status__c", "failed");
    assertThat(wa.path("Error_Code__c").asText()).isEqualTo("63016");
    assertThat(wa.path("Fallback_Step__c").asInt()).isEqualTo(0);
    assertThat(wa.path("Fallback_Chain__c").asText()).isEqualTo("whatsapp,sms");
    assertThat(
            wa.path("Fallback_Parent_Sid__c").isMissingNode()
                || wa.path("Fallback_Parent_Sid__c").isNull())
        .isTrue();
    firstParent = parent;
    firstParentSid = parentSid;
  }

  @Test
  @Order(2)
  void aWhatsAppRefusedAtCreationWith63016FallsBackAtOnce() throws Exception {
    String to = "+15005556016"; // default sandbox rule: whatsapp:+15005556016=rejected:63016
    long parent =
        insert(
            "wa-refused-" + NEXT.incrementAndGet(),
            "whatsapp",
            to,
            WA_SENDER,
            "Refused first",
            "sms");
    long child = childOf(parent);
    await().atMost(Duration.ofSeconds(60)).until(() -> "SENT".equals(status(child)));
    assertThat(row(parent))
        .containsEntry("status", "FAILED")
        .containsEntry("error_code", "63016")
        .containsEntry("twilio_sid", null);
    assertThat(row(child))
        .containsEntry("channel", "sms")
        .containsEntry("fallback_reason", "whatsapp refused at creation: Twilio 63016")
        .containsEntry("fallback_chain", "sms");
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(() -> assertThat(inbox(to)).contains("sms: Refused first"));
    // Refused before Twilio created anything: the SMS's record has no parent SID, but a reason.
    JsonNode sms = record(row(child).get("twilio_sid"), "Status__c", "delivered");
    assertThat(sms.path("Fallback_Reason__c").asText())
        .isEqualTo("whatsapp refused at creation: Twilio 63016");
    assertThat(sms.path("Fallback_Step__c").asInt()).isEqualTo(1);
  }

  @Test
  @Order(3)
  void anUndeliveredSmsFallsBackToACallOnTheSameHandset() throws Exception {
    // whatsapp -> sms -> voice: 63016 on WhatsApp, 30003 (sandbox rule for +15005553003) on SMS,
    // then the call.
    String to = "+15005553003";
    long parent =
        insert(
            "chain-" + NEXT.incrementAndGet(),
            "whatsapp",
            to,
            WA_SENDER,
            "Three steps",
            "whatsapp,sms,voice");
    long sms = childOf(parent);
    long voice = childOf(sms);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> List.of("SENT", "FAILED", "BLOCKED").contains(status(voice)));
    assertThat(row(sms)).containsEntry("status", "SENT").containsEntry("fallback_step", "1");
    assertThat(row(voice))
        .containsEntry("channel", "voice")
        .containsEntry("recipient", to)
        .containsEntry("sender", SMS_SENDER)
        .containsEntry("fallback_step", "2")
        .containsEntry("fallback_reason", "sms undelivered: Twilio 30003")
        .containsEntry("status", "SENT");
    assertThat(row(voice).get("twilio_sid")).startsWith("CA");
    assertThat(get(twilio + "/sandbox/handsets/" + enc(to) + "/calls")).hasSize(1);
  }

  @Test
  @Order(4)
  void aFallbackToAnOptedOutNumberIsBlockedLikeAnyRow() throws Exception {
    String to = handset();
    // The handset sent STOP to the SMS number (not to the WhatsApp sender).
    database.exec(
        "INSERT INTO consent (recipient, sender_scope, status, keyword, source, updated_at)"
            + " VALUES (?, ?, 'OPTED_OUT', 'STOP', 'inbound-sms', CURRENT_TIMESTAMP)",
        to,
        SMS_SENDER);
    long parent = insert("consent-" + to, "whatsapp", to, WA_SENDER, "Not by SMS", "whatsapp,sms");
    long child = childOf(parent);
    await().atMost(Duration.ofSeconds(60)).until(() -> "BLOCKED".equals(status(child)));
    assertThat(row(child)).containsEntry("reason_code", "OPTED_OUT");
    assertThat(inbox(to)).isEmpty();
  }

  @Test
  @Order(5)
  void aTemplateNamesTheChainAndItsUndeliveredWhatsAppFallsBackToTheSmsForm() throws Exception {
    TemplateApprovals approvals =
        app.camelContext()
            .getRegistry()
            .lookupByNameAndType("templateApprovals", TemplateApprovals.class);
    String version = approvals.versions("order-update").get(0).version();
    approvals.approve(version, "it-approver");
    approvals.refresh();
    String to = handset();
    // The Content template is allowed outside the window; the handset's carrier drops it.
    post(
        twilio + "/sandbox/outcomes",
        Map.of("pattern", "whatsapp:\\" + to, "status", "undelivered", "errorCode", 30003));
    String key = "tpl-" + to;
    optIn(to);
    database.exec(
        "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, template_name,"
            + " template_variables) VALUES (?, 'whatsapp', ?, ?, 'order-update', '{\"order\":\"A-42\"}')",
        key,
        to,
        WA_SENDER);
    long parent =
        Long.parseLong(
            database.string("SELECT id FROM outbox_message WHERE idempotency_key = ?", key));
    long child = childOf(parent);
    await().atMost(Duration.ofSeconds(60)).until(() -> "SENT".equals(status(child)));
    assertThat(row(child))
        .containsEntry("channel", "sms")
        .containsEntry("fallback_chain", "whatsapp,sms")
        .containsEntry("fallback_reason", "whatsapp undelivered: Twilio 30003");
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(() -> assertThat(inbox(to)).containsExactly("sms: Order A-42 has shipped."));
  }

  @Test
  @Order(6)
  void anInvalidChainFailsTheRowBeforeAnySend() {
    String to = handset();
    long id = insert("bad-chain-" + to, "whatsapp", to, WA_SENDER, "x", "whatsapp,fax");
    await().atMost(Duration.ofSeconds(60)).until(() -> "FAILED".equals(status(id)));
    assertThat(row(id)).containsEntry("reason_code", "FALLBACK_CHAIN_INVALID");
    assertThat(database.string("SELECT reason FROM outbox_message WHERE id = ?", id))
        .contains("unknown channel 'fax'");
  }

  @Test
  @Order(7)
  void duplicateAndConcurrentFailureCallbacksQueueTheStepOnce() throws Exception {
    assertThat(firstParentSid).as("set by the first test").isNotNull();
    // 1. Signed callbacks, as Twilio would retry them: the same final status again and a second
    //    final status, eight of each at once.
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> posts = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        String status = i % 2 == 0 ? "failed" : "undelivered";
        posts.add(
            pool.submit(
                () -> {
                  go.await();
                  return callback(firstParentSid, status, "63016");
                }));
      }
      go.countDown();
      for (Future<Integer> f : posts) {
        assertThat(f.get()).isEqualTo(200);
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  database.count(
                          "SELECT COUNT(*) FROM webhook_event WHERE sid = ? AND state = 'NEW'",
                          firstParentSid)
                      == 0);
      // 2. The decision itself, called by eight threads at once on their own transactions.
      ChannelFallback fallback =
          app.camelContext().getRegistry().findSingleByType(ChannelFallback.class);
      DataSource ds =
          app.camelContext().getRegistry().lookupByNameAndType("dataSource", DataSource.class);
      CountDownLatch race = new CountDownLatch(1);
      List<Future<Optional<ChannelFallback.Queued>>> calls = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        Callable<Optional<ChannelFallback.Queued>> call =
            () -> {
              race.await();
              try (Connection c = ds.getConnection()) {
                c.setAutoCommit(false);
                Optional<ChannelFallback.Queued> q =
                    fallback.afterStatus(c, firstParentSid, "failed");
                c.commit();
                return q;
              }
            };
        calls.add(pool.submit(call));
      }
      race.countDown();
      long child = childOf(firstParent);
      for (Future<Optional<ChannelFallback.Queued>> f : calls) {
        Optional<ChannelFallback.Queued> q = f.get();
        assertThat(q).isPresent();
        assertThat(q.get().id()).isEqualTo(child);
        assertThat(q.get().existed()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
    assertOneStep(firstParent);
    // 3. Not only the code's manners: the database itself refuses a second step.
    assertThatThrownBy(
            () ->
                database.exec(
                    "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body,"
                        + " parent_id) VALUES ('second-step', 'sms', '+14155550100', ?, 'x', ?)",
                    SMS_SENDER,
                    firstParent))
        .satisfies(
            e ->
                assertThat(e + " " + e.getCause())
                    .containsIgnoringCase("outbox_message_parent_uq"));
  }

  @Test
  @Order(8)
  void aRestartThatReplaysTheFailureQueuesNoSecondStep() throws Exception {
    long child = childOf(firstParent);
    String sentBefore = String.join("|", sandboxMessages(row(child).get("recipient")));
    app.stop();
    // As after a crash before the batch's commit: the parent's final status is applied again.
    database.exec("UPDATE webhook_event SET state = 'NEW' WHERE sid = ?", firstParentSid);
    app = startApp();
    await()
        .atMost(Duration.ofSeconds(90))
        .until(
            () ->
                database.count(
                        "SELECT COUNT(*) FROM webhook_event WHERE sid = ? AND state <> 'DONE'",
                        firstParentSid)
                    == 0);
    assertOneStep(firstParent);
    assertThat(database.count("SELECT COUNT(*) FROM outbox_message WHERE id = ?", child))
        .isEqualTo(1);
    // The sandbox was restarted with the connector: nothing new went to the handset since.
    assertThat(sandboxMessages(row(child).get("recipient"))).isEmpty();
    assertThat(sentBefore).contains(" delivered ");
  }

  void assertOneStep(long parent) {
    assertThat(database.count("SELECT COUNT(*) FROM outbox_message WHERE parent_id = ?", parent))
        .isEqualTo(1);
    assertThat(
            database.count(
                "SELECT COUNT(*) FROM outbox_attempt WHERE message_id = ? AND kind = 'FALLBACK'",
                parent))
        .isEqualTo(1);
  }

  /** A status callback signed as the sandbox account signs them; the HTTP status. */
  int callback(String sid, String status, String errorCode) throws Exception {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("AccountSid", "AC00000000000000000000000000000000");
    form.put("ApiVersion", "2010-04-01");
    form.put("MessageSid", sid);
    form.put("SmsSid", sid);
    form.put("MessageStatus", status);
    form.put("SmsStatus", status);
    form.put("From", WA_SENDER);
    form.put("To", "whatsapp:+14155550000");
    form.put("ErrorCode", errorCode);
    String url = "http://127.0.0.1:" + port + "/webhooks/twilio/message-status";
    String body =
        form.entrySet().stream()
            .map(e -> enc(e.getKey()) + "=" + enc(e.getValue()))
            .collect(Collectors.joining("&"));
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header(
                    "X-Twilio-Signature",
                    new TwilioSignature("sandbox-auth-token").signSingle(url, form))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return r.statusCode();
  }

  void post(String url, Map<String, Object> body) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isLessThan(300);
  }
}
