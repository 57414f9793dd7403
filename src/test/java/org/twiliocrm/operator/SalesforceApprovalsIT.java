package org.twiliocrm.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.twiliocrm.testsupport.TestDatabase;
import org.twiliocrm.testsupport.TestHttp;
import org.twiliocrm.testsupport.TestOperators;

/**
 * Approvers act in Salesforce (issue 13, points 4 and 6), end to end over real sockets: the
 * connector as shipped (routes/governance-to-salesforce.camel.yaml, the salesforce-governance-sink
 * kamelet, the policy gate, PostgreSQL) against the Salesforce sandbox (OAuth, REST, CometD) and
 * the Twilio sandbox. A campaign is held, its one Message_Approval__c record appears in the org, a
 * named user decides it through the sandbox's control API (as a person in Salesforce would), and
 * the change event releases or fails the rows. A second connector whose org emits no change events
 * for the object shows the SOQL sweep alone deciding.
 */
class SalesforceApprovalsIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String FROM = "+15005550006";
  private static final String OLIVIA = "olivia.approver@twiliocrm.sandbox";
  private static final String RAVI = "ravi.reviewer@twiliocrm.sandbox";
  private static final AtomicInteger NEXT = new AtomicInteger(6000);
  private static final TestHttp HTTP = new TestHttp();

  /** Change events on, sweep effectively off (first sweep after an hour). */
  private static TestDatabase cdcDb;

  private static OperatorHttp cdc;

  /** Change events off for Message_Approval__c in its org; a sweep every 500 ms. */
  private static TestDatabase sweepDb;

  private static OperatorHttp sweep;

  @BeforeAll
  static void start() throws Exception {
    Path policy = Files.createTempFile("policies", ".yaml");
    Files.writeString(
        policy,
        """
        approval-expiry: 1h
        rules:
          - name: bulk-campaign
            when:
              bulk: { by: campaign, more-than: 3, window: 1h }
        """,
        StandardCharsets.UTF_8);
    cdcDb = TestDatabase.postgres("it_sfappr");
    cdc = connector(cdcDb, policy, 3_600_000);
    // The change event of a decision is only seen by a live subscription (it starts from new
    // events, -1): nothing is decided before the org counts the subscriber.
    awaitSubscribed(cdc);
    sweepDb = TestDatabase.postgres("it_sfsweep");
    sweep = connector(sweepDb, policy, 500);
    HttpResponse<String> off =
        HTTP.sendJson(
            "POST",
            salesforce(sweep) + "/sandbox/schema/cdc",
            "{\"object\":\"Message_Approval__c\",\"enabled\":false}");
    assertThat(off.statusCode()).as(off.body()).isEqualTo(200);
  }

  private static OperatorHttp connector(TestDatabase db, Path policy, int sweepMillis)
      throws Exception {
    Properties p = new Properties();
    p.setProperty("governance.policies.location", policy.toString());
    p.setProperty("governance.salesforce.enabled", "true");
    p.setProperty("governance.salesforce.tick-millis", "200");
    p.setProperty("governance.salesforce.sweep-millis", String.valueOf(sweepMillis));
    p.setProperty("outbox.poll-interval", "200ms");
    return OperatorHttp.start(db.config(), TestOperators.file(), p);
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c : new AutoCloseable[] {cdc, sweep}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // best effort
      }
    }
  }

  // ---- helpers ----

  private static String salesforce(OperatorHttp c) {
    return c.app.property("camel.component.salesforce.loginUrl");
  }

  private static String twilio(OperatorHttp c) {
    return c.app.property("twilio.base-url");
  }

  private static String recipient() {
    return "+1415558" + String.format("%04d", NEXT.incrementAndGet());
  }

  /** One producer transaction: the gate sees the whole campaign at once. */
  private static void insertCampaign(
      TestDatabase db, String campaign, int n, String to, String requestedBy) throws Exception {
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body,"
                    + " campaign, requested_by) VALUES (?, 'sms', ?, ?, ?, ?, ?)")) {
      c.setAutoCommit(false);
      for (int i = 0; i < n; i++) {
        ps.setString(1, campaign + "-" + i);
        ps.setString(2, to);
        ps.setString(3, FROM);
        ps.setString(4, "Winter sale " + campaign + " " + i);
        ps.setString(5, campaign);
        ps.setString(6, requestedBy);
        ps.addBatch();
      }
      ps.executeBatch();
      c.commit();
    }
  }

  private static long count(TestDatabase db, String campaign, String status) {
    return db.count(
        "SELECT COUNT(*) FROM outbox_message WHERE campaign = ? AND status = ?", campaign, status);
  }

  private static List<JsonNode> records(OperatorHttp c, String object) throws Exception {
    HttpResponse<String> r = HTTP.get(salesforce(c) + "/sandbox/records?object=" + object);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    List<JsonNode> out = new ArrayList<>();
    JSON.readTree(r.body()).forEach(out::add);
    return out;
  }

  /** The campaign's Message_Approval__c record, once the connector wrote all n rows into it. */
  private static JsonNode approvalRecord(OperatorHttp c, String campaign, int n) {
    JsonNode[] found = new JsonNode[1];
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(
            () -> {
              List<JsonNode> mine =
                  records(c, "Message_Approval__c").stream()
                      .filter(r -> campaign.equals(r.path("Campaign__c").asText()))
                      .toList();
              assertThat(mine).hasSize(1);
              assertThat(mine.get(0).path("Row_Count__c").asInt()).isEqualTo(n);
              found[0] = mine.get(0);
            });
    return found[0];
  }

  private static final String APPROVAL_CHANNEL = "/data/Message_Approval__ChangeEvent";

  private static void awaitSubscribed(OperatorHttp c) {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                JSON.readTree(HTTP.get(salesforce(c) + "/sandbox/streaming").body())
                        .path("subscribers")
                        .path(APPROVAL_CHANNEL)
                        .asInt()
                    >= 1);
  }

  private static void decideAs(
      OperatorHttp c, String user, String recordId, String status, String comment)
      throws Exception {
    if (c == cdc) {
      awaitSubscribed(c);
    }
    HttpResponse<String> r =
        HTTP.sendJson(
            "POST",
            salesforce(c) + "/sandbox/records/update-as",
            JSON.writeValueAsString(
                Map.of(
                    "user",
                    user,
                    "object",
                    "Message_Approval__c",
                    "id",
                    recordId,
                    "fields",
                    Map.of("Status__c", status, "Decision_Comment__c", comment))));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  private static int messagesTo(OperatorHttp c, String to) throws Exception {
    HttpResponse<String> r = HTTP.get(twilio(c) + "/sandbox/messages?to=" + to.replace("+", "%2B"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body()).size();
  }

  // ---- tests ----

  @Test
  void fiveHundredRowsOneRecordApprovedInSalesforceAsANamedUserAllSent() throws Exception {
    String to = recipient();
    insertCampaign(cdcDb, "winter", 500, to, "marketing-batch");
    await().atMost(Duration.ofSeconds(60)).until(() -> count(cdcDb, "winter", "HELD") == 500);

    JsonNode record = approvalRecord(cdc, "winter", 500);
    assertThat(record.path("Status__c").asText()).isEqualTo("Pending");
    assertThat(record.path("Rule__c").asText()).isEqualTo("bulk-campaign");
    assertThat(record.path("Sample__c").asText()).contains("Winter sale winter");
    assertThat(record.path("Sample__c").asText()).doesNotContain(to);
    assertThat(record.path("Countries__c").asText()).isEqualTo("US");
    assertThat(record.path("Requested_By__c").asText()).contains("marketing-batch");
    assertThat(record.path("Expires_At__c").isNull()).isFalse();
    assertThat(record.path("Channel__c").asText()).isEqualTo("sms");
    assertThat(messagesTo(cdc, to)).isZero();

    decideAs(cdc, OLIVIA, record.path("Id").asText(), "Approved", "Winter campaign signed off");

    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> count(cdcDb, "winter", "SENT") == 500);
    await().atMost(Duration.ofSeconds(30)).until(() -> messagesTo(cdc, to) == 500);
    long requestId = record.path("Request_Id__c").asLong();
    List<List<String>> decided =
        cdcDb.rows(
            "SELECT status, decided_by, decision_comment FROM approval_request WHERE id = ?",
            requestId);
    assertThat(decided.get(0).get(0)).isEqualTo("APPROVED");
    assertThat(decided.get(0).get(1)).contains("Olivia Approver").contains(OLIVIA);
    assertThat(decided.get(0).get(2)).isEqualTo("Winter campaign signed off");
    // The record shows the connector's account of the decision.
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              JsonNode after =
                  records(cdc, "Message_Approval__c").stream()
                      .filter(r -> r.path("Id").asText().equals(record.path("Id").asText()))
                      .findFirst()
                      .orElseThrow();
              assertThat(after.path("Status__c").asText()).isEqualTo("Approved");
              assertThat(after.path("Decided_By__c").asText()).contains("Olivia Approver");
            });
  }

  @Test
  void rejectedInSalesforceTheRowsFailRejectedByApprover() throws Exception {
    String to = recipient();
    insertCampaign(cdcDb, "reject-me", 6, to, "marketing-batch");
    JsonNode record = approvalRecord(cdc, "reject-me", 6);

    decideAs(cdc, RAVI, record.path("Id").asText(), "Rejected", "Wrong audience");

    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                cdcDb.count(
                        "SELECT COUNT(*) FROM outbox_message WHERE campaign = 'reject-me'"
                            + " AND status = 'FAILED' AND reason_code = 'REJECTED_BY_APPROVER'")
                    == 6);
    List<List<String>> decided =
        cdcDb.rows(
            "SELECT status, decided_by, decision_comment FROM approval_request WHERE id = ?",
            record.path("Request_Id__c").asLong());
    assertThat(decided.get(0))
        .containsExactly(
            "REJECTED", "Ravi Reviewer (Salesforce user " + RAVI + ")", "Wrong audience");
    assertThat(messagesTo(cdc, to)).isZero();
  }

  @Test
  void fourEyesTheUserWhoCausedTheHoldCannotApproveInSalesforce() throws Exception {
    String to = recipient();
    // Olivia's own campaign (requested_by is her Salesforce username).
    insertCampaign(cdcDb, "olivias-own", 5, to, OLIVIA);
    JsonNode record = approvalRecord(cdc, "olivias-own", 5);
    String id = record.path("Id").asText();

    decideAs(cdc, OLIVIA, id, "Approved", "mine, fine");

    // Refused: the record goes back to Pending with the reason; nothing was sent.
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              JsonNode after =
                  records(cdc, "Message_Approval__c").stream()
                      .filter(r -> r.path("Id").asText().equals(id))
                      .findFirst()
                      .orElseThrow();
              assertThat(after.path("Status__c").asText()).isEqualTo("Pending");
              assertThat(after.path("Connector_Note__c").asText())
                  .contains("Olivia Approver")
                  .contains("four eyes");
            });
    assertThat(count(cdcDb, "olivias-own", "HELD")).isEqualTo(5);
    assertThat(
            cdcDb.string(
                "SELECT status FROM approval_request WHERE id = ?",
                record.path("Request_Id__c").asLong()))
        .isEqualTo("PENDING");

    // Another person approves: released and sent.
    decideAs(cdc, RAVI, id, "Approved", "checked by a second person");
    await().atMost(Duration.ofSeconds(60)).until(() -> count(cdcDb, "olivias-own", "SENT") == 5);
    assertThat(
            cdcDb.string(
                "SELECT decided_by FROM approval_request WHERE id = ?",
                record.path("Request_Id__c").asLong()))
        .contains("Ravi Reviewer");
  }

  @Test
  void everyAuditRowIsWrittenToSalesforceOnceByItsId() throws Exception {
    insertCampaign(cdcDb, "audited", 4, recipient(), "marketing-batch");
    JsonNode record = approvalRecord(cdc, "audited", 4);
    decideAs(cdc, RAVI, record.path("Id").asText(), "Rejected", "not now");
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                cdcDb.count(
                        "SELECT COUNT(*) FROM governance_audit WHERE action = 'REJECTED'"
                            + " AND subject_id = ?",
                        record.path("Request_Id__c").asText())
                    == 1);
    // Every audit row, once: as many records as rows, each audit id once, and the rejection's
    // row with its actor and detail.
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              long rows = cdcDb.count("SELECT COUNT(*) FROM governance_audit");
              List<JsonNode> audit = records(cdc, "Governance_Audit__c");
              assertThat(audit).hasSize((int) rows);
              assertThat(audit.stream().map(a -> a.path("Audit_Id__c").asText()).distinct())
                  .hasSize((int) rows);
              assertThat(cdcDb.count("SELECT COUNT(*) FROM governance_audit_crm")).isEqualTo(rows);
              assertThat(audit)
                  .anySatisfy(
                      a -> {
                        assertThat(a.path("Action__c").asText()).isEqualTo("REJECTED");
                        assertThat(a.path("Subject_Id__c").asText())
                            .isEqualTo(record.path("Request_Id__c").asText());
                        assertThat(a.path("Actor__c").asText()).contains("Ravi Reviewer");
                        assertThat(a.path("Detail__c").asText()).contains("not now");
                      });
            });
  }

  @Test
  void withoutChangeEventsTheSweepAloneReleases() throws Exception {
    String to = recipient();
    insertCampaign(sweepDb, "swept", 8, to, "marketing-batch");
    JsonNode record = approvalRecord(sweep, "swept", 8);
    long eventsBefore =
        JSON.readTree(
                HTTP.get(salesforce(sweep) + "/sandbox/events?channel=/data/ChangeEvents").body())
            .size();

    decideAs(sweep, OLIVIA, record.path("Id").asText(), "Approved", "swept approval");

    await().atMost(Duration.ofSeconds(60)).until(() -> count(sweepDb, "swept", "SENT") == 8);
    await().atMost(Duration.ofSeconds(30)).until(() -> messagesTo(sweep, to) == 8);
    assertThat(
            sweepDb.string(
                "SELECT decided_by FROM approval_request WHERE id = ?",
                record.path("Request_Id__c").asLong()))
        .contains("Olivia Approver");
    // No change event of the object was published: the sweep found the decision.
    long eventsAfter =
        JSON.readTree(
                HTTP.get(salesforce(sweep) + "/sandbox/events?channel=/data/ChangeEvents").body())
            .size();
    assertThat(eventsAfter).isEqualTo(eventsBefore);
  }
}
