package org.twiliocrm.governance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.twiliocrm.app.ConnectorApp;
import org.twiliocrm.crm.events.SandboxOrg;
import org.twiliocrm.testsupport.TestConnector;
import org.twiliocrm.testsupport.TestDatabase;
import org.twiliocrm.testsupport.TestHttp;

/**
 * Consent made in Salesforce reaches the send path (issue 14 points 2 and 10), end to end over real
 * sockets: the connector as shipped (routes/crm-consent-sync.camel.yaml, the shipped
 * governance/recipients.yaml, the outbox and webhook routes) against the Salesforce sandbox (OAuth,
 * REST, SOQL, CometD Change Data Capture) and the Twilio sandbox. A person changes a Contact's
 * SMS_Opt_Out__c through the sandbox's control API (update-as: the change event's commitUser is
 * that person, as when someone edits the record in Salesforce); the outbox rows that follow show
 * the effect.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CrmConsentSyncContract {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String FROM = "+15005550006";
  private static final String OLIVIA = "olivia.approver@twiliocrm.sandbox";
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final AtomicInteger NEXT = new AtomicInteger(200);
  private final TestHttp http = new TestHttp();

  abstract TestDatabase.Kind kind();

  TestDatabase database;
  ConnectorApp app;
  SandboxOrg org;
  String salesforce;
  String twilio;

  @BeforeAll
  void start() throws Exception {
    database = TestDatabase.of(kind(), "crm_consent");
    app =
        TestConnector.on(database)
            .property("outbox.poll-interval", "200ms")
            // A fresh org per run: replaying every retained event means no change is missed while
            // the subscription is still being set up.
            .property("crm.events.initial-replay-id", "-2")
            .property("webhook.crm.writeback.initial-backoff-millis", "200")
            .property("webhook.process.poll-millis", "200")
            .start()
            .app();
    salesforce = app.property("camel.component.salesforce.loginUrl");
    twilio = app.property("twilio.base-url");
    org = new SandboxOrg(salesforce);
    await()
        .atMost(WAIT)
        .until(
            () ->
                app.camelContext() != null
                    && app.camelContext()
                            .getRouteController()
                            .getRouteStatus("crm-consent-from-contacts")
                        == ServiceStatus.Started);
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

  // ---- helpers ----

  static String number() {
    return "+1415557" + String.format("%04d", NEXT.incrementAndGet());
  }

  String contact(String mobile) throws Exception {
    return org.create(
        "Contact", Map.of("LastName", "Consent " + NEXT.incrementAndGet(), "MobilePhone", mobile));
  }

  /** A person in Salesforce sets or clears the opt-out checkbox. */
  void optOutAs(String user, String contactId, boolean optOut) throws Exception {
    HttpResponse<String> r =
        http.sendJson(
            "POST",
            salesforce + "/sandbox/records/update-as",
            JSON.writeValueAsString(
                Map.of(
                    "user",
                    user,
                    "object",
                    "Contact",
                    "id",
                    contactId,
                    "fields",
                    Map.of("SMS_Opt_Out__c", optOut))));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  /** The consent in force for all purposes: status, source, evidence (or nulls). */
  List<String> inForce(String number) {
    List<List<String>> rows =
        database.rows(
            "SELECT status, source, evidence FROM consent_purpose WHERE recipient = ? AND"
                + " purpose = '*'",
            number);
    return rows.isEmpty() ? java.util.Arrays.asList(null, null, null) : rows.get(0);
  }

  void awaitInForce(String number, String status, String source) {
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(50))
        .untilAsserted(
            () -> assertThat(inForce(number).subList(0, 2)).containsExactly(status, source));
  }

  long send(String key, String to) {
    database.exec(
        "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body)"
            + " VALUES (?, 'sms', ?, ?, 'Your order shipped')",
        key,
        to,
        FROM);
    return Long.parseLong(
        database.string("SELECT id FROM outbox_message WHERE idempotency_key = ?", key));
  }

  List<String> awaitFinal(long id) {
    String[] row = new String[3];
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(50))
        .untilAsserted(
            () -> {
              List<String> r =
                  database
                      .rows(
                          "SELECT status, reason_code, reason FROM outbox_message WHERE id = ?", id)
                      .get(0);
              assertThat(r.get(0)).isIn("SENT", "BLOCKED", "FAILED");
              row[0] = r.get(0);
              row[1] = r.get(1);
              row[2] = r.get(2);
            });
    return List.of(row[0], String.valueOf(row[1]), String.valueOf(row[2]));
  }

  // ---- tests ----

  @Test
  void anOptOutInSalesforceBlocksTheNextRowAndAnOptInLiftsIt() throws Exception {
    String n = number();
    String id = contact(n);

    long t0 = System.nanoTime();
    optOutAs(OLIVIA, id, true);
    awaitInForce(n, ConsentLedger.OPTED_OUT, ConsentLedger.SOURCE_CRM);
    System.out.printf(
        "CRM consent: opt-out in Salesforce -> consent in force in %d ms%n",
        (System.nanoTime() - t0) / 1_000_000);
    assertThat(inForce(n).get(2)).contains("Contact " + id, "SMS_Opt_Out__c=true", "user 005");

    List<String> blocked = awaitFinal(send("crm-out-" + n, n));
    assertThat(blocked.subList(0, 2)).containsExactly("BLOCKED", "OPTED_OUT");
    assertThat(blocked.get(2)).contains("source crm", "Contact " + id);

    t0 = System.nanoTime();
    optOutAs(OLIVIA, id, false);
    awaitInForce(n, ConsentLedger.OPTED_IN, ConsentLedger.SOURCE_CRM);
    System.out.printf(
        "CRM consent: opt-in in Salesforce -> consent in force in %d ms%n",
        (System.nanoTime() - t0) / 1_000_000);
    assertThat(awaitFinal(send("crm-in-" + n, n)).get(0)).isEqualTo("SENT");

    // Both decisions stay in the history, each with its source and time.
    assertThat(
            database.rows(
                "SELECT status, source, applied FROM consent_event WHERE recipient = ?"
                    + " ORDER BY occurred_at, id",
                n))
        .extracting(r -> r.get(0) + " " + r.get(1))
        .containsExactly("OPTED_OUT crm", "OPTED_IN crm");
  }

  @Test
  void anUnreadableNumberIsRecordedRejectedAndLaterEventsStillArrive() throws Exception {
    String bad = contact("call me maybe");
    optOutAs(OLIVIA, bad, true);
    String good = number();
    String goodId = contact(good);
    optOutAs(OLIVIA, goodId, true);

    awaitInForce(good, ConsentLedger.OPTED_OUT, ConsentLedger.SOURCE_CRM);
    List<List<String>> rejected =
        database.rows(
            "SELECT recipient, status, source, reason, evidence FROM consent_event"
                + " WHERE status = 'REJECTED' AND evidence LIKE ?",
            "%" + bad + "%");
    assertThat(rejected).hasSize(1);
    assertThat(rejected.get(0).subList(0, 3)).containsExactly("call me maybe", "REJECTED", "crm");
    assertThat(rejected.get(0).get(3)).contains("MobilePhone", "not a valid phone number");
  }

  @Test
  void theConnectorsOwnWriteBackOfAStopIsNoNewCrmEvent() throws Exception {
    String handset = number();
    String id = contact(handset);
    HttpResponse<String> r =
        http.sendJson(
            "POST",
            twilio + "/sandbox/handsets/" + handset.replace("+", "%2B") + "/messages",
            JSON.writeValueAsString(Map.of("to", FROM, "body", "STOP")));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    awaitInForce(handset, ConsentLedger.OPTED_OUT, ConsentLedger.SOURCE_SMS);
    String evidence = inForce(handset).get(2);

    // The write-back sets the checkbox in Salesforce as the connector's user ...
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(
            () ->
                assertThat(
                        org.query("SELECT SMS_Opt_Out__c FROM Contact WHERE Id = '" + id + "'")
                            .get(0)
                            .get("SMS_Opt_Out__c"))
                    .isEqualTo(true));
    // ... and its change event comes back on the same channel. A later change by a person on
    // another Contact arrives after it (one subscription, in order): once that one is in force,
    // the echo has been handled.
    String marker = number();
    String markerId = contact(marker);
    optOutAs(OLIVIA, markerId, true);
    awaitInForce(marker, ConsentLedger.OPTED_OUT, ConsentLedger.SOURCE_CRM);

    assertThat(inForce(handset))
        .containsExactly(ConsentLedger.OPTED_OUT, ConsentLedger.SOURCE_SMS, evidence);
    assertThat(
            database.count(
                "SELECT COUNT(*) FROM consent_event WHERE recipient = ? AND source = 'crm'",
                handset))
        .as("no CRM-sourced event for the connector's own write-back")
        .isZero();

    // A person clearing the box later is a decision, later than the STOP: it wins, and both stay.
    optOutAs(OLIVIA, id, false);
    awaitInForce(handset, ConsentLedger.OPTED_IN, ConsentLedger.SOURCE_CRM);
    assertThat(
            database.rows(
                "SELECT status, source FROM consent_event WHERE recipient = ?"
                    + " ORDER BY occurred_at, id",
                handset))
        .extracting(row -> row.get(0) + " " + row.get(1))
        .containsExactly("OPTED_OUT inbound-sms", "OPTED_IN crm");
  }
}
