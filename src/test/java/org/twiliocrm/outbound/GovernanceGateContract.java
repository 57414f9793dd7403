package org.twiliocrm.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.governance.ApprovalRequest;
import org.twiliocrm.governance.Approvals;
import org.twiliocrm.governance.Audit;
import org.twiliocrm.governance.GovernanceRuntime;
import org.twiliocrm.governance.Policies;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * The send approval gate in the shipped outbox route, over a real database and the Twilio sandbox
 * over HTTP: rows a policy rule matches are held, one request per rule and campaign, released on
 * approval and failed on rejection or expiry, and no path (restart, reconciliation, a second
 * connector with another policy, a row edited by hand) sends a held row without an approval.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class GovernanceGateContract {
  abstract TestDatabase.Kind kind();

  TestDatabase database;

  static final String FROM = "+15005550006";
  static final AtomicInteger NEXT = new AtomicInteger(7000);

  static final String POLICY =
      """
      approval-expiry: 1h
      rules:
        - name: bulk-campaign
          when:
            bulk: { by: campaign, more-than: 3, window: 1h }
        - name: foreign-links
          when:
            urls-outside: [example.com]
      """;

  SandboxControl sandbox;
  ConnectorConfig.Db dbConfig;
  OutboxNode node;
  Rows rows;
  Path policyFile;
  Map<String, String> overrides;

  @BeforeAll
  void start() throws Exception {
    sandbox = new SandboxControl(Map.of());
    policyFile = Files.createTempFile("policies", ".yaml");
    Files.writeString(policyFile, POLICY, StandardCharsets.UTF_8);
    database = TestDatabase.of(kind(), "governance_gate");
    dbConfig = database.config(kind() == TestDatabase.Kind.POSTGRES ? 30 : 20);
    overrides = new HashMap<>();
    overrides.put("outbox.poll-interval", "200ms");
    overrides.put("outbox.instance-id", "gate-a");
    overrides.put("governance.policies.location", policyFile.toString());
    overrides.put("governance.reload-interval", "1h"); // ticked by hand below
    node = OutboxNode.start(dbConfig, sandbox.baseUrl(), overrides);
    rows = new Rows(node.db.dataSource());
  }

  @AfterAll
  void stop() throws Exception {
    node.close();
    sandbox.close();
    database.close();
    Files.deleteIfExists(policyFile);
  }

  Approvals approvals() {
    return node.ctx.getRegistry().lookupByNameAndType("approvals", Approvals.class);
  }

  Audit audit() {
    return node.ctx.getRegistry().lookupByNameAndType("governanceAudit", Audit.class);
  }

  static String recipient() {
    return "+1415556" + String.format("%04d", NEXT.incrementAndGet());
  }

  /**
   * Inserts n rows of one campaign in one transaction, as a bulk producer would: a bulk rule holds
   * the rows beyond its threshold, so rows committed one by one could see the first ones sent.
   */
  List<Long> insertCampaign(String campaign, int n, String to, String requestedBy)
      throws SQLException {
    return insertCampaign(campaign, campaign, n, to, requestedBy);
  }

  /** As above, idempotency keys {@code keys-0...}: a second batch of the same campaign. */
  List<Long> insertCampaign(String keys, String campaign, int n, String to, String requestedBy)
      throws SQLException {
    List<Long> ids = new ArrayList<>();
    try (Connection c = node.db.dataSource().getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body,"
                  + " campaign, requested_by) VALUES (?, 'sms', ?, ?, ?, ?, ?)",
              new String[] {"id"})) {
        for (int i = 0; i < n; i++) {
          ps.setString(1, keys + "-" + i);
          ps.setString(2, to);
          ps.setString(3, FROM);
          ps.setString(4, "Spring sale " + i);
          ps.setString(5, campaign);
          ps.setString(6, requestedBy);
          ps.executeUpdate();
          try (ResultSet rs = ps.getGeneratedKeys()) {
            rs.next();
            ids.add(rs.getLong(1));
          }
        }
      }
      c.commit();
    }
    return ids;
  }

  void awaitAll(List<Long> ids, String status) {
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .untilAsserted(
            () -> {
              for (long id : ids) {
                assertThat(rows.status(id)).as(() -> "row " + rows.row(id)).isEqualTo(status);
              }
            });
  }

  long requestOf(long rowId) {
    Object v = rows.row(rowId).get("approval_id");
    return ((Number) v).longValue();
  }

  void sql(String sql, Object... args) throws SQLException {
    sql(node.db.dataSource(), sql, args);
  }

  static void sql(DataSource ds, String sql, Object... args) throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      ps.executeUpdate();
    }
  }

  /** Waits long enough for several claim passes (poll interval 200 ms) to have seen the rows. */
  void severalClaimPasses() {
    long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    await().atMost(Duration.ofSeconds(5)).until(() -> System.nanoTime() > until);
  }

  @Test
  void aBulkCampaignIsHeldAsOneRequestAndSentOnlyAfterApprovalByAnotherUser() throws Exception {
    String to = recipient();
    List<Long> ids = insertCampaign("spring", 12, to, "producer-a");
    awaitAll(ids, "HELD");
    assertThat(rows.row(ids.get(0))).containsEntry("reason_code", "AWAITING_APPROVAL");
    long req = requestOf(ids.get(0));
    for (long id : ids) {
      assertThat(requestOf(id)).as("one request per rule and campaign").isEqualTo(req);
    }
    ApprovalRequest r = approvals().show(req).orElseThrow();
    assertThat(r.rule()).isEqualTo("bulk-campaign");
    assertThat(r.campaign()).isEqualTo("spring");
    assertThat(r.rowCount()).isEqualTo(12);
    assertThat(r.countries()).containsExactly("US");
    assertThat(r.requestedBy()).containsExactly("producer-a");
    assertThat(r.sample()).contains("Spring sale").doesNotContain(to);
    assertThat(sandbox.messagesTo(to)).isEmpty();

    // Four eyes: the producer that caused the hold cannot approve it; nothing changes.
    assertThat(approvals().approve(req, "producer-a", "mine").result())
        .isEqualTo(Approvals.Result.FOUR_EYES_VIOLATION);
    assertThat(approvals().approve(987654, "alice", "x").result())
        .isEqualTo(Approvals.Result.NOT_FOUND);
    severalClaimPasses();
    assertThat(sandbox.messagesTo(to)).isEmpty();

    Approvals.Decision d = approvals().approve(req, "alice", "looks right");
    assertThat(d.result()).isEqualTo(Approvals.Result.DONE);
    assertThat(d.rows()).isEqualTo(12);
    assertThat(d.request().decidedBy()).isEqualTo("alice");
    awaitAll(ids, "SENT");
    assertThat(sandbox.messagesTo(to)).hasSize(12);
    assertThat(rows.row(ids.get(0))).containsEntry("attempts", 1);
    assertThat(approvals().approve(req, "bob", "again").result())
        .isEqualTo(Approvals.Result.ALREADY_DECIDED);
    assertThat(approvals().reject(req, "bob", "late").result())
        .isEqualTo(Approvals.Result.ALREADY_DECIDED);

    List<Audit.Entry> trail =
        audit().query(Audit.Filter.all().subject(Approvals.SUBJECT, String.valueOf(req)));
    assertThat(trail).extracting(Audit.Entry::action).contains("HOLD", "APPROVED");
    assertThat(trail)
        .filteredOn(e -> e.action().equals("APPROVED"))
        .singleElement()
        .satisfies(e -> assertThat(e.actor()).isEqualTo("alice"));
  }

  @Test
  void rejectedRowsFailAndExpiredRowsFail() throws Exception {
    String to = recipient();
    List<Long> rejected = insertCampaign("reject-me", 5, to, "producer-b");
    awaitAll(rejected, "HELD");
    Approvals.Decision d = approvals().reject(requestOf(rejected.get(0)), "carol", "no");
    assertThat(d.result()).isEqualTo(Approvals.Result.DONE);
    awaitAll(rejected, "FAILED");
    assertThat(rows.row(rejected.get(0))).containsEntry("reason_code", "REJECTED_BY_APPROVER");

    List<Long> expiring = insertCampaign("expire-me", 5, to, "producer-b");
    awaitAll(expiring, "HELD");
    long req = requestOf(expiring.get(0));
    sql("UPDATE approval_request SET expires_at = created_at WHERE id = ?", req);
    assertThat(approvals().approve(req, "carol", "too late").result())
        .isEqualTo(Approvals.Result.ALREADY_DECIDED);
    runtime().tick();
    awaitAll(expiring, "FAILED");
    assertThat(rows.row(expiring.get(0))).containsEntry("reason_code", "APPROVAL_EXPIRED");
    assertThat(approvals().show(req).orElseThrow().status()).isEqualTo("EXPIRED");
    assertThat(sandbox.messagesTo(to)).isEmpty();
  }

  GovernanceRuntime runtime() {
    return node.ctx.getRegistry().lookupByNameAndType("governanceRuntime", GovernanceRuntime.class);
  }

  @Test
  void heldRowsEditedByHandOrPutBackForReconciliationAreHeldAgain() throws Exception {
    String to = recipient();
    List<Long> ids = insertCampaign("by-hand", 6, to, "producer-c");
    awaitAll(ids, "HELD");
    long req = requestOf(ids.get(0));
    // Someone sets rows back to PENDING, to RECONCILE, or clears the approval link as well.
    sql("UPDATE outbox_message SET status = 'PENDING' WHERE id = ?", ids.get(0));
    sql("UPDATE outbox_message SET status = 'RECONCILE' WHERE id = ?", ids.get(1));
    sql(
        "UPDATE outbox_message SET status = 'PENDING', approval_id = NULL, hold_digest = NULL"
            + " WHERE id = ?",
        ids.get(2));
    severalClaimPasses();
    awaitAll(ids, "HELD");
    assertThat(sandbox.messagesTo(to)).isEmpty();
    assertThat(audit().query(Audit.Filter.all().action("REHOLD"))).isNotEmpty();

    // A held row's text edited by hand, then the request approved: the approval was given for
    // other content, so that row is held again under a new request; the others are sent.
    long edited = ids.get(5);
    sql("UPDATE outbox_message SET body = 'Visit http://evil.test now' WHERE id = ?", edited);
    Approvals.Decision d = approvals().approve(req, "dave", "ok");
    assertThat(d.result()).isEqualTo(Approvals.Result.DONE);
    assertThat(d.rows()).isEqualTo(6);
    awaitAll(ids.subList(0, 5), "SENT");
    awaitAll(List.of(edited), "HELD");
    assertThat(requestOf(edited)).isNotEqualTo(req);
    assertThat(sandbox.messagesTo(to))
        .hasSize(5)
        .extracting(m -> m.get("body"))
        .doesNotContain("Visit http://evil.test now");
  }

  @Test
  void aRestartAndASecondConnectorWithoutThePolicyStillHoldHeldRows() throws Exception {
    String to = recipient();
    List<Long> ids = insertCampaign("restart", 5, to, "producer-d");
    awaitAll(ids, "HELD");
    long req = requestOf(ids.get(0));
    node.close();
    Path empty = Files.createTempFile("no-rules", ".yaml");
    Files.writeString(empty, "rules: []\n", StandardCharsets.UTF_8);
    Map<String, String> second = new HashMap<>(overrides);
    second.put("outbox.instance-id", "gate-b");
    second.put("governance.policies.location", empty.toString());
    // A second connector on the same database whose policy holds nothing, and rows put back in
    // the queue by hand: the approval record, not the local policy, decides.
    try (OutboxNode other = OutboxNode.start(dbConfig, sandbox.baseUrl(), second)) {
      rows = new Rows(other.db.dataSource());
      sql(
          other.db.dataSource(),
          "UPDATE outbox_message SET status = 'PENDING' WHERE approval_id = ?",
          req);
      severalClaimPasses();
      awaitAll(ids, "HELD");
      assertThat(rows.attempts(ids.get(0)))
          .extracting(a -> a.get("instance"))
          .as("the second connector claimed and held them")
          .contains("gate-b");
      assertThat(sandbox.messagesTo(to)).isEmpty();
      // The original connector restarts; both run; approval releases the rows once each.
      node = OutboxNode.start(dbConfig, sandbox.baseUrl(), overrides);
      rows = new Rows(node.db.dataSource());
      assertThat(approvals().approve(req, "erin", "go").result()).isEqualTo(Approvals.Result.DONE);
      awaitAll(ids, "SENT");
      assertThat(sandbox.messagesTo(to)).hasSize(5);
    } finally {
      Files.deleteIfExists(empty);
    }
  }

  @Test
  void theAuditTrailIsAppendOnlyAndRecordsThePolicyLoaded() throws Exception {
    runtime().tick();
    List<Audit.Entry> loaded = audit().query(Audit.Filter.all().action("POLICY_LOADED"));
    assertThat(loaded).isNotEmpty();
    assertThat(loaded.get(0).after()).hasSize(64);
    DataSource ds = node.db.dataSource();
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      assertThatThrownBy(() -> s.executeUpdate("UPDATE governance_audit SET actor = 'x'"))
          .isInstanceOf(SQLException.class);
    }
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      assertThatThrownBy(() -> s.executeUpdate("DELETE FROM governance_audit"))
          .isInstanceOf(SQLException.class);
    }
  }

  /**
   * Two bulk rules with different thresholds and windows, one only for destinations abroad: both
   * are counted in one statement per batch, and the second counts only the campaigns of rows its
   * country condition lets through (the country the validator found for the number).
   */
  @Test
  void aBulkRuleWithACountryConditionCountsOnlyTheRowsItCouldHold() throws Exception {
    Policies policies =
        node.ctx.getRegistry().lookupByNameAndType("governancePolicies", Policies.class);
    Files.writeString(
        policyFile,
        POLICY
            + """
              - name: small-abroad
                when:
                  bulk: { by: campaign, more-than: 1, window: 10m }
                  destination-outside: [US, CA]
            """,
        StandardCharsets.UTF_8);
    try {
      runtime().tick();
      assertThat(policies.current().rules()).hasSize(3);
      String london = "+442079460" + String.format("%03d", NEXT.incrementAndGet() % 1000);
      String home = recipient();
      String london2 = "+442079461" + String.format("%03d", NEXT.incrementAndGet() % 1000);
      List<Long> abroad = insertCampaign("uk-pair", 2, london, "producer-g");
      List<Long> domestic = insertCampaign("us-pair", 2, home, "producer-g");
      List<Long> single = insertCampaign("uk-single", 1, london2, "producer-g");
      awaitAll(abroad, "HELD");
      awaitAll(domestic, "SENT");
      awaitAll(single, "SENT");
      ApprovalRequest r = approvals().show(requestOf(abroad.get(0))).orElseThrow();
      assertThat(r.rule()).isEqualTo("small-abroad");
      assertThat(r.campaign()).isEqualTo("uk-pair");
      assertThat(r.rowCount()).isEqualTo(2);
      assertThat(r.countries()).containsExactly("GB");
      assertThat(sandbox.messagesTo(london)).isEmpty();
      assertThat(sandbox.messagesTo(home)).hasSize(2);
    } finally {
      Files.writeString(policyFile, POLICY, StandardCharsets.UTF_8);
      runtime().tick();
    }
  }

  @Test
  void aBrokenPolicyEditKeepsTheLastGoodPolicyAndReportsIt() throws Exception {
    Policies policies =
        node.ctx.getRegistry().lookupByNameAndType("governancePolicies", Policies.class);
    String good = policies.current().hash();
    Files.writeString(
        policyFile,
        POLICY.replace("more-than: 3", "more-than: 3\n        - broken: [")
            + "      channel: [fax]\n",
        StandardCharsets.UTF_8);
    try {
      runtime().tick();
      assertThat(policies.current().hash()).isEqualTo(good);
      assertThat(policies.error()).contains(policyFile.toString() + ":");
      assertThat(audit().query(Audit.Filter.all().action("POLICY_REJECTED"))).isNotEmpty();
      // Still enforced: the last good policy holds a new bulk campaign.
      String to = recipient();
      List<Long> ids = insertCampaign("while-broken", 4, to, "producer-e");
      awaitAll(ids, "HELD");
    } finally {
      Files.writeString(policyFile, POLICY, StandardCharsets.UTF_8);
      runtime().tick();
    }
    assertThat(policies.error()).isNull();
  }

  /** Inserts one row of {@code campaign} created at the SQL expression {@code at} (one param). */
  void insertAt(String campaign, String status, String at, long millis) throws SQLException {
    sql(
        "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body, campaign,"
            + " requested_by, status, created_at) VALUES (?, 'sms', ?, ?, 'Old sale', ?,"
            + " 'producer-h', ?, "
            + at
            + ")",
        campaign + "-old-" + NEXT.incrementAndGet(),
        recipient(),
        FROM,
        campaign,
        status,
        millis);
  }

  /**
   * The window's edges (bulk-campaign: more than 3 within 1h): rows created just before it are not
   * counted, a row in its first, partial minute (counted from the rows) and one in a whole minute
   * (counted from the per-minute tally, V98) are. With those two, the third row is sent and the
   * fourth, the rule's N+1, is held.
   */
  @Test
  void theBulkWindowCountsExactlyTheRowsCreatedWithinIt() throws Exception {
    ConnectorConfig.Vendor v = node.db.vendor();
    // The partial minute is [now - 1h, its minute's end): a row 5 s before that end stays in it
    // while the claim comes within the next few seconds of the same minute. From second 40 the
    // wait is up to 20 s (the next minute's second 0), so the bound leaves room past that.
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> java.time.LocalTime.now().getSecond() < 40);
    String edge = PolicyGate.firstWholeMinute(v);
    String partial =
        switch (v) {
          case POSTGRESQL -> edge + " - INTERVAL '5 seconds'";
          case H2 -> "DATEADD(SECOND, -5, " + edge + ")";
          case MARIADB -> edge + " - INTERVAL 5 SECOND";
        };
    String campaign = "edge-" + NEXT.incrementAndGet();
    String at = OutboxStore.nowPlusMillis(v);
    for (long ago : new long[] {3_700_000, 3_630_000, 3_605_000, 3_601_000}) {
      insertAt(campaign, "SENT", at, -ago); // before the window
    }
    insertAt(campaign, "SENT", partial, -3_600_000); // its first, partial minute
    insertAt(campaign, "SENT", at, -1_800_000); // a whole minute inside it
    List<Long> third = insertCampaign(campaign, 1, recipient(), "producer-h");
    awaitAll(third, "SENT");
    List<Long> fourth = insertCampaign(campaign + "-4th", campaign, 1, recipient(), "producer-h");
    awaitAll(fourth, "HELD");
    assertThat(approvals().show(requestOf(fourth.get(0))).orElseThrow().rowCount()).isEqualTo(1);
  }

  /**
   * Two producers of one campaign in concurrent transactions: neither waits for the other (each
   * writes the tally under its own session), and the rows they commit together count together:
   * three rows are sent, the fourth is held.
   */
  @Test
  void concurrentProducersOfOneCampaignNeitherWaitNorMiscount() throws Exception {
    String campaign = "race-" + NEXT.incrementAndGet();
    try (Connection a = node.db.dataSource().getConnection();
        Connection b = node.db.dataSource().getConnection()) {
      a.setAutoCommit(false);
      b.setAutoCommit(false);
      String insert =
          "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body,"
              + " campaign, requested_by) VALUES (?, 'sms', ?, ?, 'Race', ?, 'producer-i')";
      for (int i = 0; i < 3; i++) {
        Connection c = i == 1 ? b : a;
        try (PreparedStatement ps = c.prepareStatement(insert)) {
          ps.setQueryTimeout(5); // a tally row shared between the sessions would block here
          ps.setString(1, campaign + "-" + i);
          ps.setString(2, recipient());
          ps.setString(3, FROM);
          ps.setString(4, campaign);
          ps.executeUpdate();
        }
      }
      b.commit();
      a.commit();
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                count(
                        node.db.dataSource(),
                        "SELECT COUNT(*) FROM outbox_message WHERE status = 'SENT' AND campaign = '"
                            + campaign
                            + "'")
                    == 3);
    List<Long> fourth = insertCampaign(campaign + "-4th", campaign, 1, recipient(), "producer-i");
    awaitAll(fourth, "HELD");
  }

  /**
   * The tally is the rows, whatever writes them: after inserts, an edit of a row's campaign and of
   * its created_at by hand, and a delete, each key's tally sums to its rows, minute by minute.
   */
  @Test
  void theTallyFollowsInsertsEditsAndDeletes() throws Exception {
    ConnectorConfig.Vendor v = node.db.vendor();
    String campaign = "tally-" + NEXT.incrementAndGet();
    String at = OutboxStore.nowPlusMillis(v);
    for (int i = 0; i < 4; i++) {
      insertAt(campaign, "SENT", at, -i * 90_000L);
    }
    // The ids first: MariaDB refuses a subquery on the table an UPDATE or DELETE changes.
    long first = count(node.db.dataSource(), idOf("MIN", campaign, ""));
    sql("UPDATE outbox_message SET campaign = ? WHERE id = ?", campaign + "-moved", first);
    long last = count(node.db.dataSource(), idOf("MAX", campaign, ""));
    sql(
        "UPDATE outbox_message SET created_at = "
            + at
            + ", template_name = 'appointment-reminder' WHERE id = ?",
        -7_200_000L,
        last);
    long other = count(node.db.dataSource(), idOf("MAX", campaign, " AND template_name IS NULL"));
    sql("DELETE FROM outbox_message WHERE id = ?", other);
    runtime().tick(); // prunes nothing a key still counts
    assertThat(tally("c", campaign + "%")).isEqualTo(rowsByMinute("campaign", campaign + "%"));
    assertThat(tally("t", "appointment-reminder"))
        .isEqualTo(rowsByMinute("template_name", "appointment-reminder"));
    assertThat(tally("c", campaign + "%").values().stream().mapToLong(Long::longValue).sum())
        .isEqualTo(3);
  }

  static String idOf(String fn, String campaign, String and) {
    return "SELECT " + fn + "(id) FROM outbox_message WHERE campaign = '" + campaign + "'" + and;
  }

  /** key@minute -> SUM(n) of the tally, non-zero sums only. */
  Map<String, Long> tally(String kind, String like) throws SQLException {
    return grouped(
        "SELECT bulk_key, bucket, SUM(n) FROM outbox_bulk_tally WHERE kind = '"
            + kind
            + "' AND bulk_key LIKE ? GROUP BY bulk_key, bucket HAVING SUM(n) <> 0",
        like);
  }

  /** key@minute -> rows, counted in outbox_message with the triggers' truncation. */
  Map<String, Long> rowsByMinute(String col, String like) throws SQLException {
    String minute =
        switch (node.db.vendor()) {
          case POSTGRESQL -> "date_trunc('minute', created_at)";
          case H2 -> "DATE_TRUNC('MINUTE', created_at)";
          case MARIADB -> "CAST(DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:00') AS DATETIME(6))";
        };
    return grouped(
        "SELECT "
            + col
            + ", "
            + minute
            + ", COUNT(*) FROM outbox_message WHERE "
            + col
            + " LIKE ? GROUP BY "
            + col
            + ", "
            + minute,
        like);
  }

  Map<String, Long> grouped(String sql, String like) throws SQLException {
    Map<String, Long> out = new java.util.TreeMap<>();
    try (Connection c = node.db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, like);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1) + "@" + rs.getTimestamp(2).toInstant(), rs.getLong(3));
        }
      }
    }
    return out;
  }

  static int count(DataSource ds, String sql) throws SQLException {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
