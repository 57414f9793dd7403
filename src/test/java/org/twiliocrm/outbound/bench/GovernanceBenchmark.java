package org.twiliocrm.outbound.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.HashMap;
import java.util.Map;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.db.Database;
import org.twiliocrm.governance.Approvals;
import org.twiliocrm.outbound.OutboxNode;
import org.twiliocrm.sandbox.twilio.TwilioSandbox;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;

/**
 * Governance benchmark (issue 13, point 8; not a test). Same set-up as {@link OutboxBenchmark}
 * (PostgreSQL, the Twilio sandbox in-process with request validation off), two figures:
 *
 * <ul>
 *   <li>the outbox benchmark (a) (N rows, no added latency) with a realistic policy file loaded and
 *       with an empty one, alternated twice in the same run; the rows carry campaign keys and
 *       links, so every rule does its work (bulk COUNT per batch, region lookup, URL scan) without
 *       holding any of them;
 *   <li>approval to first send: 500 rows with one campaign are held as one request; the time from
 *       the approve call to the first Twilio request, and to the last row SENT, three times.
 * </ul>
 *
 * <p>Run: {@code bash bench/run governance}, or {@code java -cp ...
 * org.twiliocrm.outbound.bench.GovernanceBenchmark [rows]}
 */
public final class GovernanceBenchmark {
  static final String REALISTIC =
      """
      approval-expiry: 24h
      rules:
        - name: bulk-campaign
          when:
            bulk: { by: campaign, more-than: 5000, window: 1h }
        - name: bulk-template
          when:
            bulk: { by: template, more-than: 100000, window: 1h }
        - name: crm-free-text
          when: { free-text-from: [crm] }
        - name: abroad
          when: { destination-outside: [US, CA, GB, IE] }
        - name: foreign-links
          when: { urls-outside: [example.com, twilio.com] }
        - name: calls
          when: { channel: [voice] }
        - name: new-reminder-version
          when: { first-send-of-template-version: true, template: [appointment-reminder] }
      """;

  static final String DEMO =
      """
      rules:
        - name: bulk-campaign
          when:
            bulk: { by: campaign, more-than: 100, window: 1h }
      """;

  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    String schema = "gov_bench_" + Long.toHexString(System.nanoTime());
    ConnectorConfig.Db db = OutboxBenchmark.postgres(schema);
    Path realistic = Files.createTempFile("policies-realistic", ".yaml");
    Path empty = Files.createTempFile("policies-empty", ".yaml");
    Path demo = Files.createTempFile("policies-demo", ".yaml");
    Files.writeString(realistic, REALISTIC, StandardCharsets.UTF_8);
    Files.writeString(empty, "rules: []\n", StandardCharsets.UTF_8);
    Files.writeString(demo, DEMO, StandardCharsets.UTF_8);
    Map<String, String> sb =
        Map.of(
            "sandbox.twilio.port", "0",
            "sandbox.twilio.validation.requests", "false",
            "sandbox.twilio.max-in-flight", "100",
            "sandbox.twilio.lifecycle.step-millis", "50");
    System.out.printf(
        "machine: %d cores, load average %.1f at start%n",
        Runtime.getRuntime().availableProcessors(),
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    try (TwilioSandbox sandbox = TwilioSandbox.start(TwilioSandboxSettings.from(sb::get))) {
      Map<String, String> base = new HashMap<>();
      base.put("outbox.instance-id", "bench");
      base.put("outbox.poll-interval", "500ms");
      Map<String, String> without = new HashMap<>(base);
      without.put("governance.policies.location", empty.toString());
      Map<String, String> with = new HashMap<>(base);
      with.put("governance.policies.location", realistic.toString());

      run(db, sandbox, with, rows, "warm-up");
      double off1 = run(db, sandbox, without, rows, "no-policy-1");
      double on1 = run(db, sandbox, with, rows, "policy-1");
      double on2 = run(db, sandbox, with, rows, "policy-2");
      double off2 = run(db, sandbox, without, rows, "no-policy-2");
      double off = (off1 + off2) / 2;
      double on = (on1 + on2) / 2;
      System.out.printf(
          "(a) outbox, %d rows, no added latency: %.0f sends/s with a realistic policy (7 rules),"
              + " %.0f sends/s without; with/without = %.2f (%s the 10%% bound)%n",
          rows, on, off, on / off, on >= 0.9 * off ? "within" : "OUTSIDE");

      Map<String, String> demoProps = new HashMap<>(base);
      demoProps.put("governance.policies.location", demo.toString());
      for (int round = 1; round <= 3; round++) {
        approvalToFirstSend(db, sandbox, demoProps, round);
      }
    } finally {
      OutboxBenchmark.dropPostgres(schema);
      Files.deleteIfExists(realistic);
      Files.deleteIfExists(empty);
      Files.deleteIfExists(demo);
    }
    System.exit(0);
  }

  static double run(
      ConnectorConfig.Db db, TwilioSandbox sandbox, Map<String, String> props, int n, String tag)
      throws Exception {
    try (Database d = Database.open(db)) {
      OutboxBenchmark.exec(d, "DELETE FROM outbox_attempt");
      OutboxBenchmark.exec(d, "DELETE FROM outbox_message");
      insert(d, tag, n, 20, null);
      OutboxBenchmark.exec(d, "VACUUM ANALYZE outbox_message");
    }
    return OutboxBenchmark.runInserted(db, sandbox, props, n, tag);
  }

  /** n rows to US numbers, one of {@code campaigns} campaign keys each, every other with a link. */
  static void insert(Database d, String tag, int n, int campaigns, String campaign)
      throws Exception {
    try (Connection c = d.dataSource().getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body,"
                  + " campaign, requested_by) VALUES (?, 'sms', ?, ?, ?, ?, 'bench-producer')")) {
        for (int i = 0; i < n; i++) {
          ps.setString(1, tag + "-" + i);
          ps.setString(2, "+1415555" + String.format("%04d", i % 10_000));
          ps.setString(3, OutboxBenchmark.FROM);
          ps.setString(
              4,
              i % 2 == 0
                  ? "Reminder " + i + ": details at https://www.example.com/r/" + i
                  : "Reminder " + i);
          ps.setString(5, campaign != null ? campaign : tag + "-campaign-" + (i % campaigns));
          ps.addBatch();
          if (i % 1000 == 999) {
            ps.executeBatch();
          }
        }
        ps.executeBatch();
      }
      c.commit();
    }
  }

  static void approvalToFirstSend(
      ConnectorConfig.Db db, TwilioSandbox sandbox, Map<String, String> props, int round)
      throws Exception {
    int n = 500;
    try (Database d = Database.open(db)) {
      OutboxBenchmark.exec(d, "DELETE FROM outbox_attempt");
      OutboxBenchmark.exec(d, "DELETE FROM outbox_message");
    }
    try (OutboxNode node =
        OutboxNode.start(db, OutboxBenchmark.client(sandbox, false), null, props)) {
      insert(node.db, "demo-" + round, n, 1, "demo-" + round);
      long t0 = System.nanoTime();
      while (OutboxBenchmark.count(node.db, "status = 'HELD'") < n) {
        if (System.nanoTime() - t0 > 60_000_000_000L) {
          throw new IllegalStateException("rows not held within 60 s");
        }
        Thread.sleep(20);
      }
      Approvals approvals =
          node.ctx.getRegistry().lookupByNameAndType("approvals", Approvals.class);
      long request = approvals.list(Approvals.Filter.pending()).get(0).id();
      // Settle: the claim loop is idle, waiting on its poll interval or a NOTIFY.
      Thread.sleep(1000);
      OutboxBenchmark.FIRST_REQUEST.set(0);
      long approved = System.nanoTime();
      Approvals.Decision dec = approvals.approve(request, "bench-approver", "go");
      long returned = System.nanoTime();
      while (OutboxBenchmark.count(node.db, "status = 'SENT'") < n) {
        if (System.nanoTime() - approved > 120_000_000_000L) {
          throw new IllegalStateException("rows not sent within 120 s");
        }
        Thread.sleep(5);
      }
      long allSent = System.nanoTime();
      long first = OutboxBenchmark.FIRST_REQUEST.get();
      System.out.printf(
          "(approval) round %d: %d rows held as %s request; approve call %.1f ms; approve ->"
              + " first Twilio request %.1f ms; -> all %d SENT %.2f s%n",
          round,
          dec.rows(),
          approvals.list(new Approvals.Filter(null, null, "demo-" + round, 100)).size() == 1
              ? "one"
              : "more than one",
          (returned - approved) / 1e6,
          (first - approved) / 1e6,
          n,
          (allSent - approved) / 1e9);
    }
  }
}
