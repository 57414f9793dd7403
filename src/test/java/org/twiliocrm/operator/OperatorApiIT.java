package org.twiliocrm.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.twiliocrm.testsupport.TestOperators.ADMIN_TOKEN;
import static org.twiliocrm.testsupport.TestOperators.APPROVER2_TOKEN;
import static org.twiliocrm.testsupport.TestOperators.APPROVER_TOKEN;
import static org.twiliocrm.testsupport.TestOperators.APPROVER_USER;
import static org.twiliocrm.testsupport.TestOperators.VIEWER_TOKEN;
import static org.twiliocrm.testsupport.TestOperators.VIEWER_USER;
import static org.twiliocrm.testsupport.TestOperators.basic;
import static org.twiliocrm.testsupport.TestOperators.bearer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.testsupport.TestDatabase;
import org.twiliocrm.testsupport.TestOperators;

/**
 * /api/approvals and /api/audit over real HTTP against the shipped routes, the policy gate and
 * PostgreSQL, with the Twilio sandbox receiving what an approval releases: each status path (401,
 * 403, 404, 405, 409, 400), the role matrix, four eyes, and approve end to end.
 */
class OperatorApiIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String FROM = "+15005550006";
  private static final AtomicInteger NEXT = new AtomicInteger(3000);
  private static ConnectorConfig.Db db;
  private static OperatorHttp connector;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.postgres("it_opapi").config();
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
    Properties p = new Properties();
    p.setProperty("governance.policies.location", policy.toString());
    p.setProperty("outbox.poll-interval", "200ms");
    connector = OperatorHttp.start(db, TestOperators.file(), p);
  }

  @AfterAll
  static void stop() {
    if (connector != null) {
      connector.close();
    }
  }

  // ---- helpers ----

  static String recipient() {
    return "+1415557" + String.format("%04d", NEXT.incrementAndGet());
  }

  static List<Long> insertCampaign(String campaign, int n, String to, String requestedBy)
      throws Exception {
    List<Long> ids = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(db.url(), db.user(), null);
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body,"
                    + " campaign, requested_by) VALUES (?, 'sms', ?, ?, ?, ?, ?)",
                new String[] {"id"})) {
      // One transaction: the gate sees the whole campaign at once, as a bulk producer writes it.
      c.setAutoCommit(false);
      for (int i = 0; i < n; i++) {
        ps.setString(1, campaign + "-" + i);
        ps.setString(2, to);
        ps.setString(3, FROM);
        ps.setString(4, "Spring sale " + campaign + " " + i);
        ps.setString(5, campaign);
        ps.setString(6, requestedBy);
        ps.executeUpdate();
        try (ResultSet rs = ps.getGeneratedKeys()) {
          rs.next();
          ids.add(rs.getLong(1));
        }
      }
      c.commit();
    }
    return ids;
  }

  static List<String> statuses(List<Long> ids) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(db.url(), db.user(), null);
        PreparedStatement ps =
            c.prepareStatement("SELECT status, reason_code FROM outbox_message WHERE id = ?")) {
      for (long id : ids) {
        ps.setLong(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          out.add(rs.getString(1) + (rs.getString(2) == null ? "" : "/" + rs.getString(2)));
        }
      }
    }
    return out;
  }

  static void awaitAll(List<Long> ids, String status) {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(() -> assertThat(statuses(ids)).allMatch(s -> s.startsWith(status)));
  }

  /** Holds a campaign of n rows and returns its approval request's id. */
  static long heldRequest(String campaign, int n, String requestedBy) throws Exception {
    List<Long> ids = insertCampaign(campaign, n, recipient(), requestedBy);
    awaitAll(ids, "HELD");
    JsonNode list =
        json(connector.get("/api/approvals?campaign=" + campaign, bearer(VIEWER_TOKEN)));
    assertThat(list.get("approvals")).hasSize(1);
    return list.get("approvals").get(0).get("id").asLong();
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body());
  }

  static HttpResponse<String> approve(long id, String auth, String comment) throws Exception {
    return connector.post(
        "/api/approvals/" + id + "/approve",
        auth,
        comment == null ? null : JSON.writeValueAsString(java.util.Map.of("comment", comment)));
  }

  static HttpResponse<String> reject(long id, String auth, String comment) throws Exception {
    return connector.post(
        "/api/approvals/" + id + "/reject",
        auth,
        comment == null ? null : JSON.writeValueAsString(java.util.Map.of("comment", comment)));
  }

  // ---- tests ----

  @Test
  void approveReleasesTheHeldRowsIntoTheTwilioSandboxAndFourEyesHolds() throws Exception {
    String to = recipient();
    List<Long> ids = insertCampaign("spring", 6, to, APPROVER_USER);
    awaitAll(ids, "HELD/AWAITING_APPROVAL");
    JsonNode list = json(connector.get("/api/approvals?campaign=spring", basic(VIEWER_USER)));
    assertThat(list.get("approvals")).hasSize(1);
    long id = list.get("approvals").get(0).get("id").asLong();

    HttpResponse<String> shown = connector.get("/api/approvals/" + id, bearer(VIEWER_TOKEN));
    assertThat(shown.statusCode()).isEqualTo(200);
    JsonNode request = json(shown);
    assertThat(request.get("status").asText()).isEqualTo("PENDING");
    assertThat(request.get("rowCount").asInt()).isEqualTo(6);
    assertThat(request.get("sample").asText()).contains("Spring sale spring");
    assertThat(request.get("requestedBy").toString()).contains(APPROVER_USER);

    // Four eyes: bob caused the hold (requested_by), so bob cannot approve it.
    HttpResponse<String> own = approve(id, basic(APPROVER_USER), "looks fine to me");
    assertThat(own.statusCode()).isEqualTo(403);
    assertThat(json(own).get("error").asText()).isEqualTo("four-eyes");
    assertThat(json(own).get("message").asText()).contains("bob").contains("caused this hold");
    assertThat(statuses(ids)).allMatch(s -> s.equals("HELD/AWAITING_APPROVAL"));
    assertThat(
            json(connector.get("/api/approvals/" + id, bearer(VIEWER_TOKEN)))
                .get("status")
                .asText())
        .isEqualTo("PENDING");

    // Another approver releases them; they reach the handset through the Twilio sandbox.
    HttpResponse<String> ok = approve(id, bearer(APPROVER_TOKEN), "campaign signed off");
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    JsonNode decided = json(ok);
    assertThat(decided.get("result").asText()).isEqualTo("approved");
    assertThat(decided.get("rows").asInt()).isEqualTo(6);
    assertThat(decided.get("request").get("decidedBy").asText()).isEqualTo("approver-bot");
    assertThat(decided.get("request").get("comment").asText()).isEqualTo("campaign signed off");
    awaitAll(ids, "SENT");
    String inbox =
        connector.app.property("twilio.base-url")
            + "/sandbox/handsets/"
            + to.replace("+", "%2B")
            + "/inbox";
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(
                        HttpClient.newBuilder()
                            .version(HttpClient.Version.HTTP_1_1)
                            .build()
                            .send(
                                HttpRequest.newBuilder(URI.create(inbox)).build(),
                                HttpResponse.BodyHandlers.ofString())
                            .body())
                    .contains("Spring sale spring 0")
                    .contains("Spring sale spring 5"));

    // Decided: 409 and nothing changes, for approve and for reject alike.
    HttpResponse<String> again = approve(id, bearer(APPROVER2_TOKEN), null);
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(json(again).get("message").asText())
        .contains("already APPROVED")
        .contains("nothing was changed");
    HttpResponse<String> late = reject(id, bearer(ADMIN_TOKEN), "too late");
    assertThat(late.statusCode()).isEqualTo(409);
    JsonNode after = json(connector.get("/api/approvals/" + id, bearer(VIEWER_TOKEN)));
    assertThat(after.get("status").asText()).isEqualTo("APPROVED");
    assertThat(after.get("decidedBy").asText()).isEqualTo("approver-bot");
    assertThat(after.get("comment").asText()).isEqualTo("campaign signed off");
    assertThat(statuses(ids)).allMatch(s -> s.startsWith("SENT"));

    // The audit trail has the decision, filterable by action, subject and actor.
    JsonNode audit =
        json(
            connector.get(
                "/api/audit?action=APPROVED&subjectType=approval_request&subjectId=" + id,
                bearer(VIEWER_TOKEN)));
    assertThat(audit.get("entries")).hasSize(1);
    assertThat(audit.get("entries").get(0).get("actor").asText()).isEqualTo("approver-bot");
    assertThat(audit.get("entries").get(0).get("after").asText()).isEqualTo("APPROVED");
    assertThat(
            json(connector.get("/api/audit?actor=nobody-at-all", bearer(VIEWER_TOKEN)))
                .get("entries"))
        .isEmpty();
  }

  @Test
  void rejectNeedsACommentAndFailsTheRows() throws Exception {
    String to = recipient();
    List<Long> ids = insertCampaign("autumn", 5, to, "producer-x");
    awaitAll(ids, "HELD");
    long id =
        json(connector.get("/api/approvals?campaign=autumn", bearer(VIEWER_TOKEN)))
            .get("approvals")
            .get(0)
            .get("id")
            .asLong();
    HttpResponse<String> noComment = reject(id, bearer(APPROVER_TOKEN), null);
    assertThat(noComment.statusCode()).isEqualTo(400);
    assertThat(noComment.body()).contains("needs a comment");
    HttpResponse<String> badJson =
        connector.post("/api/approvals/" + id + "/reject", bearer(APPROVER_TOKEN), "{not json");
    assertThat(badJson.statusCode()).isEqualTo(400);
    assertThat(badJson.body()).contains("must be JSON").doesNotContain("Exception");
    assertThat(statuses(ids)).allMatch(s -> s.startsWith("HELD"));

    HttpResponse<String> ok = reject(id, basic(TestOperators.ADMIN_USER), "wrong audience");
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(json(ok).get("result").asText()).isEqualTo("rejected");
    awaitAll(ids, "FAILED/REJECTED_BY_APPROVER");
    assertThat(approve(id, bearer(APPROVER_TOKEN), null).statusCode()).isEqualTo(409);
    assertThat(statuses(ids)).allMatch(s -> s.equals("FAILED/REJECTED_BY_APPROVER"));
  }

  @Test
  void roleMatrix() throws Exception {
    long id = heldRequest("winter", 4, "producer-y");
    String[] none = {null};
    // Reading: every role; no credentials 401.
    for (String path : new String[] {"/api/approvals", "/api/approvals/" + id, "/api/audit"}) {
      assertThat(connector.get(path, null).statusCode()).as(path).isEqualTo(401);
      for (String auth :
          new String[] {bearer(VIEWER_TOKEN), bearer(APPROVER_TOKEN), bearer(ADMIN_TOKEN)}) {
        assertThat(connector.get(path, auth).statusCode()).as(path + " " + auth).isEqualTo(200);
      }
    }
    // Deciding: viewer 403 (nothing changes), no credentials 401; approver and admin may.
    assertThat(approve(id, null, null).statusCode()).isEqualTo(401);
    HttpResponse<String> viewer = approve(id, bearer(VIEWER_TOKEN), null);
    assertThat(viewer.statusCode()).isEqualTo(403);
    assertThat(viewer.body()).contains("has role viewer").contains("needs approver");
    assertThat(reject(id, basic(VIEWER_USER), "no").statusCode()).isEqualTo(403);
    assertThat(
            json(connector.get("/api/approvals/" + id, bearer(VIEWER_TOKEN)))
                .get("status")
                .asText())
        .isEqualTo("PENDING");
    // Anything else under /api is admin's: an approver gets 403, admin the real answer (405).
    HttpResponse<String> del =
        connector.send("DELETE", "/api/approvals/" + id, bearer(APPROVER_TOKEN), null);
    assertThat(del.statusCode()).isEqualTo(403);
    HttpResponse<String> adminDel =
        connector.send("DELETE", "/api/approvals/" + id, bearer(ADMIN_TOKEN), null);
    assertThat(adminDel.statusCode()).isEqualTo(405);
    assertThat(adminDel.headers().firstValue("Allow")).contains("GET");
    // Admin decides too.
    assertThat(approve(id, bearer(ADMIN_TOKEN), "ok by admin").statusCode()).isEqualTo(200);
    assertThat(none).hasSize(1);
  }

  @Test
  void unknownRequestsAre404AndBadFilters400() throws Exception {
    assertThat(connector.get("/api/approvals/987654321", bearer(VIEWER_TOKEN)).statusCode())
        .isEqualTo(404);
    HttpResponse<String> unknown = approve(987654321L, bearer(APPROVER_TOKEN), "x");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(json(unknown).get("message").asText()).contains("no approval request 987654321");
    assertThat(
            connector.post("/api/approvals/abc/approve", bearer(APPROVER_TOKEN), null).statusCode())
        .isEqualTo(404);
    assertThat(connector.get("/api/nothing-here", bearer(VIEWER_TOKEN)).statusCode())
        .isEqualTo(404);
    assertThat(connector.get("/api/approvals?limit=0", bearer(VIEWER_TOKEN)).statusCode())
        .isEqualTo(400);
    assertThat(connector.get("/api/audit?since=yesterday", bearer(VIEWER_TOKEN)).statusCode())
        .isEqualTo(400);
    assertThat(connector.get("/api/template-approvals", null).statusCode()).isEqualTo(401);
    assertThat(
            connector
                .post("/api/template-approvals/abc/approve", bearer(VIEWER_TOKEN), null)
                .statusCode())
        .isEqualTo(403);
    assertThat(
            connector
                .post("/api/template-approvals/ffffffff00/approve", bearer(APPROVER_TOKEN), null)
                .statusCode())
        .isEqualTo(404);
  }

  @Test
  void templateVersionsAreListedShownAndDecidedOnce() throws Exception {
    JsonNode versions = json(connector.get("/api/template-approvals", bearer(VIEWER_TOKEN)));
    JsonNode pending = null;
    for (JsonNode v : versions.get("versions")) {
      if (v.get("state").asText().equals("PENDING_APPROVAL")) {
        pending = v;
        break;
      }
    }
    assertThat(pending).as(versions.toString()).isNotNull();
    String version = pending.get("version").asText();
    JsonNode shown =
        json(connector.get("/api/template-approvals/" + version, bearer(VIEWER_TOKEN)));
    assertThat(shown.get("content").asText()).isNotBlank();
    HttpResponse<String> ok =
        connector.post(
            "/api/template-approvals/" + version + "/approve", bearer(APPROVER_TOKEN), null);
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(json(ok).get("version").get("state").asText()).isEqualTo("APPROVED");
    assertThat(json(ok).get("version").get("decidedBy").asText()).isEqualTo("approver-bot");
    HttpResponse<String> again =
        connector.post(
            "/api/template-approvals/" + version + "/reject",
            bearer(ADMIN_TOKEN),
            "{\"comment\":\"too late\"}");
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(
            json(connector.get("/api/template-approvals/" + version, bearer(VIEWER_TOKEN)))
                .get("state")
                .asText())
        .isEqualTo("APPROVED");
  }

  @Test
  void templateFourEyesTheSubmitterCannotApproveAndTheApprovalCommentIsKept() throws Exception {
    JsonNode versions = json(connector.get("/api/template-approvals", bearer(VIEWER_TOKEN)));
    JsonNode pending = null;
    // The last pending one (the test above takes the first).
    for (JsonNode v : versions.get("versions")) {
      if (v.get("state").asText().equals("PENDING_APPROVAL")) {
        pending = v;
      }
    }
    assertThat(pending).as(versions.toString()).isNotNull();
    String version = pending.get("version").asText();
    String path = "/api/template-approvals/" + version;

    // A viewer cannot submit; an approver (the engineer who made the edit) can, once.
    assertThat(connector.post(path + "/submit", bearer(VIEWER_TOKEN), null).statusCode())
        .isEqualTo(403);
    HttpResponse<String> submitted = connector.post(path + "/submit", bearer(APPROVER_TOKEN), null);
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(200);
    assertThat(json(submitted).get("version").get("submittedBy").asText())
        .isEqualTo("approver-bot");
    HttpResponse<String> twice = connector.post(path + "/submit", bearer(APPROVER2_TOKEN), null);
    assertThat(twice.statusCode()).isEqualTo(409);
    assertThat(json(twice).get("message").asText()).contains("submitted by approver-bot");

    // Four eyes: the submitter cannot approve; nothing changes.
    HttpResponse<String> own =
        connector.post(path + "/approve", bearer(APPROVER_TOKEN), "{\"comment\":\"mine\"}");
    assertThat(own.statusCode()).as(own.body()).isEqualTo(403);
    assertThat(json(own).get("error").asText()).isEqualTo("four-eyes");
    assertThat(json(own).get("message").asText()).contains("approver-bot").contains("submitted");
    assertThat(json(connector.get(path, bearer(VIEWER_TOKEN))).get("state").asText())
        .isEqualTo("PENDING_APPROVAL");

    // A second approver approves, and the comment is stored and shown.
    HttpResponse<String> ok =
        connector.post(
            path + "/approve", bearer(APPROVER2_TOKEN), "{\"comment\":\"wording reviewed\"}");
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(json(ok).get("version").get("comment").asText()).isEqualTo("wording reviewed");
    JsonNode shown = json(connector.get(path, bearer(VIEWER_TOKEN)));
    assertThat(shown.get("state").asText()).isEqualTo("APPROVED");
    assertThat(shown.get("decidedBy").asText()).isEqualTo("approver-bot-2");
    assertThat(shown.get("comment").asText()).isEqualTo("wording reviewed");
    assertThat(shown.get("submittedBy").asText()).isEqualTo("approver-bot");
    JsonNode audit =
        json(connector.get("/api/audit?action=TEMPLATE_SUBMITTED", bearer(VIEWER_TOKEN)));
    assertThat(audit.get("entries").toString()).contains("approver-bot").contains(version);
  }
}
