package org.twiliocrm.outbound.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.db.Database;
import org.twiliocrm.outbound.OutboxNode;
import org.twiliocrm.sandbox.twilio.TwilioSandbox;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;
import org.twiliocrm.testsupport.TestConnector;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * Sender pacing benchmark (not a test; {@code bash bench/run pacing}). PostgreSQL on 127.0.0.1 (a
 * fresh it_ schema), the Twilio sandbox in this JVM with request validation off. Prints:
 *
 * <ol>
 *   <li>three connector processes (child JVMs, the whole connector each) sharing one sender paced
 *       at 10 messages/s: the rows recorded SENT per second over a one-minute window (database
 *       clock, sent_at), starting 5 s after the rows are queued; each process's share; Messages
 *       POSTs against rows (duplicates);
 *   <li>one connector in this JVM sending a batch on a second sender (a Messaging Service whose
 *       rate is far above what the machine sends) with pacing off, then with pacing on while the
 *       first sender's backlog is paced at 10/s in the same process: sends/s of the second sender
 *       in alternating rounds after a warm-up, and the median loss.
 * </ol>
 *
 * <p>Run: {@code java -cp target/classes:target/test-classes:$(cat target/cp.txt)
 * org.twiliocrm.outbound.bench.PacingBenchmark [seconds] [rows-per-round] [rounds] [parts: 1, 2,
 * 12]}
 */
public final class PacingBenchmark {
  static final String FROM = "+15005550006";
  static final String SERVICE = TwilioSandboxSettings.DEFAULT_MESSAGING_SERVICE_SID;

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
    int perRound = args.length > 1 ? Integer.parseInt(args[1]) : 8_000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    String parts = args.length > 3 ? args[3] : "12"; // which parts to run: 1, 2 or 12
    System.out.printf(
        "machine: %d cores, load average %.1f at start%n",
        Runtime.getRuntime().availableProcessors(),
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    Map<String, String> sb =
        Map.of(
            "sandbox.twilio.port", "0",
            "sandbox.twilio.validation.requests", "false",
            "sandbox.twilio.max-in-flight", "1000",
            "sandbox.twilio.lifecycle.step-millis", "50");
    try (TwilioSandbox sandbox = TwilioSandbox.start(TwilioSandboxSettings.from(sb::get))) {
      if (parts.contains("1")) {
        threeProcesses(sandbox, seconds);
      }
      if (parts.contains("2")) {
        oneProcess(sandbox, perRound, rounds);
      }
    }
    System.exit(0);
  }

  // ---------------------------------------------------------------- (1) three processes, 10/s

  static void threeProcesses(TwilioSandbox sandbox, int seconds) throws Exception {
    try (TestDatabase schema = TestDatabase.postgres("pacing_bench3")) {
      ConnectorConfig.Db db = schema.config(10);
      List<Process> children = new ArrayList<>();
      List<Path> logs = new ArrayList<>();
      try {
        for (String name : List.of("bench-pace-a", "bench-pace-b", "bench-pace-c")) {
          List<String> settings =
              List.of(
                  "connector.db.pool-size=10",
                  "sandbox.twilio.external-url=" + sandbox.baseUrl(),
                  "crm.events.enabled=false",
                  "outbox.instance-id=" + name,
                  "outbox.poll-interval=200ms",
                  "outbox.pacing.enabled=true",
                  "outbox.pacing.senders=" + FROM + "=10");
          Path log = Files.createTempFile(name, ".log");
          logs.add(log);
          children.add(
              new ProcessBuilder(TestConnector.childCommand(db.url(), db.user(), "384m", settings))
                  .redirectErrorStream(true)
                  .redirectOutput(log.toFile())
                  .start());
        }
        // Started side by side; the rows are queued once all three are up.
        for (int i = 0; i < children.size(); i++) {
          waitStarted(children.get(i), logs.get(i));
        }
        long posts0 = messagePosts(sandbox);
        int rows = (seconds + 20) * 10;
        try (Database d = Database.open(db)) {
          insert(d, "p3-", rows, "+14155558801", FROM, null);
          long t0 = dbMillis(d);
          long from = t0 + 5_000;
          long to = from + seconds * 1_000L;
          while (dbMillis(d) < to + 2_000) {
            Thread.sleep(500); // a benchmark, not a test: waits for the window to pass
          }
          long inWindow =
              count(
                  d,
                  "SELECT COUNT(*) FROM outbox_message WHERE status = 'SENT' AND sent_at >="
                      + " to_timestamp("
                      + from / 1000.0
                      + ") AND sent_at < to_timestamp("
                      + to / 1000.0
                      + ")");
          System.out.printf(
              "(1) 3 processes, one sender paced at 10/s: %d sends in %d s = %.2f sends/s"
                  + " combined%n",
              inWindow, seconds, inWindow / (double) seconds);
          try (Connection c = d.dataSource().getConnection();
              PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT instance, COUNT(DISTINCT message_id) FROM outbox_attempt WHERE"
                          + " outcome = 'SENT' GROUP BY instance ORDER BY instance");
              ResultSet rs = ps.executeQuery()) {
            StringBuilder share = new StringBuilder();
            while (rs.next()) {
              share.append(rs.getString(1)).append('=').append(rs.getLong(2)).append(' ');
            }
            System.out.println("    sends by process (whole run): " + share.toString().trim());
          }
          long sent = count(d, "SELECT COUNT(*) FROM outbox_message WHERE status = 'SENT'");
          long distinct =
              count(
                  d, "SELECT COUNT(DISTINCT twilio_sid) FROM outbox_message WHERE status = 'SENT'");
          System.out.printf(
              "    rows SENT so far %d (distinct SIDs %d), Messages POSTs at the sandbox %d%n",
              sent, distinct, messagePosts(sandbox) - posts0);
        }
      } finally {
        for (Process p : children) {
          p.destroy();
        }
        for (Process p : children) {
          p.waitFor();
        }
      }
    }
  }

  static void waitStarted(Process p, Path log) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException("child died: " + Files.readString(log));
      }
      if (Files.readString(log).contains("CONNECTOR-STARTED")) {
        return;
      }
      Thread.sleep(200);
    }
    p.destroyForcibly();
    throw new IllegalStateException("child did not start in 5 minutes");
  }

  // ---------------------------------------------------------------- (2) one process, 5 %

  static void oneProcess(TwilioSandbox sandbox, int perRound, int rounds) throws Exception {
    try (TestDatabase schema = TestDatabase.postgres("pacing_bench1")) {
      ConnectorConfig.Db db = schema.config(30);
      round(db, sandbox, perRound, false, "warm-up-off");
      round(db, sandbox, perRound, true, "warm-up-on");
      List<Double> ratios = new ArrayList<>();
      for (int i = 0; i < rounds; i++) {
        double off = round(db, sandbox, perRound, false, "off-" + i);
        double on = round(db, sandbox, perRound, true, "on-" + i);
        System.out.printf(
            "    round %d: second sender %.0f sends/s unpaced, %.0f sends/s paced (ratio %.3f)%n",
            i + 1, off, on, on / off);
        ratios.add(on / off);
      }
      ratios.sort(null);
      int m = ratios.size();
      double median =
          m % 2 == 1 ? ratios.get(m / 2) : (ratios.get(m / 2 - 1) + ratios.get(m / 2)) / 2;
      System.out.printf(
          "(2) one process, second sender with pacing on (first sender's backlog paced at 10/s"
              + " alongside) vs off, %d rows a round: median ratio %.3f = %.1f %% loss%n",
          perRound, median, (1 - median) * 100);
    }
  }

  /** One connector, one batch on the Messaging Service; returns its sends/s. */
  static double round(
      ConnectorConfig.Db db, TwilioSandbox sandbox, int n, boolean paced, String tag)
      throws Exception {
    Map<String, String> o = new HashMap<>();
    o.put("outbox.instance-id", "bench-" + tag);
    o.put("outbox.listen", "true");
    o.put("governance.senders.enabled", "true");
    o.put("outbox.pacing.enabled", String.valueOf(paced));
    o.put("outbox.pacing.senders", FROM + "=10," + SERVICE + "=10000");
    double rate;
    try (OutboxNode node = OutboxNode.start(db, sandbox.baseUrl(), o)) {
      Database d = node.db;
      if (paced) {
        // The first sender's backlog, paced at 10/s while the second sender's batch runs.
        insert(d, tag + "-a-", 300, "+14155558802", FROM, null);
      }
      long start = System.nanoTime();
      insert(d, tag + "-b-", n, "+14155558803", null, SERVICE);
      String done =
          "SELECT COUNT(*) FROM outbox_message WHERE idempotency_key LIKE '"
              + tag
              + "-b-%' AND status IN ('SENT', 'FAILED', 'BLOCKED')";
      while (count(d, done) < n) {
        Thread.sleep(20);
      }
      rate = n / ((System.nanoTime() - start) / 1e9);
      long failed =
          count(
              d,
              "SELECT COUNT(*) FROM outbox_message WHERE idempotency_key LIKE '"
                  + tag
                  + "-b-%' AND status <> 'SENT'");
      if (failed > 0) {
        System.out.printf("    %s: %d rows not SENT%n", tag, failed);
      }
    }
    // Once the node has stopped (a delete beside its claims deadlocks): each round starts with
    // the same backlog, the first sender's rows of a paced round included.
    try (Database d = Database.open(db);
        Connection c = d.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement("DELETE FROM outbox_message WHERE idempotency_key LIKE ?")) {
      c.createStatement().executeUpdate("DELETE FROM outbox_attempt");
      ps.setString(1, tag + "-%");
      ps.executeUpdate();
    }
    return rate;
  }

  static void insert(Database d, String prefix, int n, String to, String from, String service)
      throws SQLException {
    try (Connection c = d.dataSource().getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender,"
                  + " messaging_service_sid, body) VALUES (?, 'sms', ?, ?, ?, ?)")) {
        for (int i = 0; i < n; i++) {
          ps.setString(1, prefix + i);
          ps.setString(2, to);
          ps.setString(3, from);
          ps.setString(4, service);
          ps.setString(5, "Pacing " + i);
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

  /** Messages POSTs the sandbox has seen (its control API). */
  static long messagePosts(TwilioSandbox sandbox) throws Exception {
    String body =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(sandbox.baseUrl() + "/sandbox/requests"))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString())
            .body();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile(
                "\"POST /2010-04-01/Accounts/[^/]+/Messages.json\"\\s*:\\s*(\\d+)")
            .matcher(body);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  static long dbMillis(Database d) throws SQLException {
    return count(d, "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)");
  }

  static long count(Database d, String sql) throws SQLException {
    try (Connection c = d.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
