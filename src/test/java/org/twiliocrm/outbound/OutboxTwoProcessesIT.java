package org.twiliocrm.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.db.Database;

/**
 * Two connector processes (child JVMs running the shipped route) on one PostgreSQL database send
 * each of 900 rows exactly once, and both take part. A connector killed with SIGKILL in the middle
 * of a 10,000-row run leaves no row behind once another starts.
 */
class OutboxTwoProcessesIT {
  static final String SCHEMA = TestDatabases.unique("outbox_two_it");
  static SandboxControl sandbox;
  static ConnectorConfig.Db db;

  @BeforeAll
  static void start() {
    sandbox =
        new SandboxControl(
            Map.of(
                "sandbox.twilio.validation.requests", "false",
                "sandbox.twilio.max-in-flight", "1000"));
    db = TestDatabases.postgres(SCHEMA);
  }

  @AfterAll
  static void stop() {
    sandbox.close();
    TestDatabases.dropPostgres(SCHEMA);
  }

  /** Starts OutboxNode in a child JVM on this test's class path; returns once it printed READY. */
  static Process child(String instance, String... extra) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(OutboxNode.class.getName());
    cmd.add(db.url());
    cmd.add(db.user());
    cmd.add(sandbox.baseUrl());
    cmd.add("outbox.instance-id=" + instance);
    cmd.add("test.project-dir=" + Path.of("").toAbsolutePath());
    cmd.addAll(List.of(extra));
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(Path.of("target", instance + ".log").toFile())
            .start();
    Path log = Path.of("target", instance + ".log");
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> !p.isAlive() || java.nio.file.Files.readString(log).contains("READY"));
    assertThat(p.isAlive()).as("child " + instance + " started").isTrue();
    return p;
  }

  @Test
  void aKilledInstanceLeavesNoRowBehindAndItsInFlightSendsAreReconciled() throws Exception {
    int n = 10_000;
    int recipients = 10; // 1,000 messages each: a reconciliation lookup reads a realistic list
    int inFlight = 30;
    Process a =
        child(
            "crash-a",
            "outbox.lease=5s",
            "outbox.max-in-flight=" + inFlight,
            "outbox.batch-size=10");
    try (Database database = Database.open(db)) {
      Rows rows = new Rows(database.dataSource());
      long before = sandbox.messagePosts();
      for (int r = 0; r < recipients; r++) {
        rows.insertSms(
            "crash-" + r + "-",
            n / recipients,
            "+1415555" + String.format("%04d", 3000 + r),
            "+15005550006");
      }
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> rows.count("status = 'SENT' AND idempotency_key LIKE 'crash-%'") >= n / 3);
      a.destroyForcibly(); // SIGKILL: no shutdown hook, no graceful drain
      a.waitFor();
      long sentAtKill = rows.count("status = 'SENT' AND idempotency_key LIKE 'crash-%'");
      // Claimed by the dead instance and not recorded: queued, being sent, or sent and waiting
      // for the result writer. Only these can have reached Twilio without the row knowing.
      long stranded =
          rows.count(
              "idempotency_key LIKE 'crash-%' AND lease_owner = 'crash-a'"
                  + " AND status IN ('SENDING', 'RECONCILING')");
      assertThat(sentAtKill).isLessThan(n);
      assertThat(stranded).isBetween(1L, (long) inFlight);
      Process b = child("crash-b", "outbox.reconcile.delay=100ms");
      try {
        await()
            .atMost(Duration.ofSeconds(180))
            .pollInterval(Duration.ofMillis(250))
            .untilAsserted(
                () ->
                    assertThat(
                            rows.count(
                                "idempotency_key LIKE 'crash-%' AND status IN ('SENT', 'FAILED',"
                                    + " 'BLOCKED')"))
                        .as(
                            () ->
                                rows.query(
                                        "SELECT status, reason_code, COUNT(*) AS n FROM outbox_message"
                                            + " GROUP BY status, reason_code")
                                    .toString())
                        .isEqualTo(n));
        assertThat(rows.count("idempotency_key LIKE 'crash-%' AND status = 'SENT'")).isEqualTo(n);
        long posts = sandbox.messagePosts() - before;
        long duplicates = posts - n;
        List<Map<String, Object>> reconciled =
            rows.query(
                "SELECT outcome, COUNT(*) AS n FROM outbox_attempt WHERE kind = 'RECONCILE'"
                    + " GROUP BY outcome");
        long reconciledRows =
            ((Number)
                    rows.query(
                            "SELECT COUNT(DISTINCT message_id) AS n FROM outbox_attempt"
                                + " WHERE kind = 'RECONCILE'")
                        .get(0)
                        .get("n"))
                .longValue();
        long resent =
            rows.count(
                "id IN (SELECT message_id FROM outbox_attempt WHERE kind = 'RECONCILE'"
                    + " AND outcome = 'NOT_FOUND_RESEND')");
        System.out.printf(
            "crash test: %d rows, %d sent before the kill, %d stranded in flight, %d POSTs, %d"
                + " duplicates, reconcile decisions %s%n",
            n, sentAtKill, stranded, posts, duplicates, reconciled);
        // Every row the dead instance held was reconciled (looked up before any resend), and no
        // other row was.
        assertThat(reconciledRows).isEqualTo(stranded);
        // Only sends that were in flight at the kill can have been made twice, and each of those
        // is a row the reconciliation did not find and resent (recorded as NOT_FOUND_RESEND).
        assertThat(duplicates).isBetween(0L, Math.min(resent, (long) inFlight));
      } finally {
        b.destroy();
        b.waitFor();
      }
    }
  }

  @Test
  void twoProcessesSendEachRowExactlyOnce() throws Exception {
    Process a = child("node-a", "outbox.batch-size=20", "outbox.max-in-flight=40");
    Process b = child("node-b", "outbox.batch-size=20", "outbox.max-in-flight=40");
    try (Database database = Database.open(db)) {
      Rows rows = new Rows(database.dataSource());
      int n = 900;
      for (int i = 0; i < 3; i++) {
        rows.insertSms(
            "two-" + i + "-", n / 3, "+1415555" + String.format("%04d", 2000 + i), "+15005550006");
      }
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(250))
          .untilAsserted(
              () ->
                  assertThat(rows.count("status = 'SENT' AND idempotency_key LIKE 'two-%'"))
                      .as(
                          () ->
                              rows.query(
                                      "SELECT status, reason_code, COUNT(*) AS n FROM outbox_message"
                                          + " GROUP BY status, reason_code")
                                  .toString())
                      .isEqualTo(n));
      for (int i = 0; i < 3; i++) {
        // Exactly one Twilio message per row: none lost, none sent twice.
        assertThat(sandbox.messagesTo("+1415555" + (2000 + i))).hasSize(n / 3);
      }
      Set<Object> sids = new HashSet<>();
      rows.query("SELECT twilio_sid FROM outbox_message WHERE idempotency_key LIKE 'two-%'")
          .forEach(r -> sids.add(r.get("twilio_sid")));
      assertThat(sids).hasSize(n);
      List<Map<String, Object>> perInstance =
          rows.query(
              "SELECT instance, COUNT(*) AS n FROM outbox_attempt WHERE outcome = 'SENT'"
                  + " AND instance LIKE 'node-%' GROUP BY instance");
      assertThat(perInstance)
          .extracting(r -> r.get("instance"))
          .containsExactlyInAnyOrder("node-a", "node-b");
      assertThat(perInstance.stream().mapToLong(r -> ((Number) r.get("n")).longValue()).sum())
          .isEqualTo(n);
    } finally {
      a.destroy();
      b.destroy();
      a.waitFor();
      b.waitFor();
    }
  }
}
