package org.twiliocrm.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;
import org.twiliocrm.testsupport.ConnectorProcess;
import org.twiliocrm.testsupport.FreePort;
import org.twiliocrm.testsupport.TestDatabase;
import org.twiliocrm.twilio.TwilioSignature;

/**
 * SIGTERM, as Kubernetes sends it, to the packaged connector in the middle of a run, on PostgreSQL
 * and on the embedded H2 default (AUTO_SERVER=TRUE, where H2's own exit hook would close the
 * database under the drain unless the connector holds it back; see H2ExitHook). Meanwhile signed
 * status callbacks keep arriving. The connector drains before it stops: readiness DOWN, no new
 * claims, the sends in flight finish and are recorded (connector.drain-timeout), webhooks answer
 * 503 (never 404 or 500) until the server closes. After the exit nothing is SENDING and every row
 * that was claimed at the SIGTERM is SENT (not merely released), every callback answered 200 is
 * stored, no stack trace was logged, and a restarted connector sends the rest, each row created in
 * Twilio exactly once.
 */
class GracefulDrainIT {
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();
  private static final String STATUS_PATH = "/webhooks/twilio/message-status";
  private static final int ROWS = 400;

  @TempDir Path work;

  @FunctionalInterface
  interface Reader {
    Connection open() throws Exception;
  }

  @Test
  void sigtermDrainsOnPostgres() throws Exception {
    ConnectorConfig.Db db = TestDatabase.postgres("drain").config();
    drain(
        Map.of("CONNECTOR_DB_URL", db.url(), "CONNECTOR_DB_USER", db.user()),
        () -> DriverManager.getConnection(db.url(), db.user(), null),
        "postgresql");
  }

  @Test
  void sigtermDrainsOnH2() throws Exception {
    // The embedded default exactly as a user has it (relative to the working directory, with
    // AUTO_SERVER): the connector owns the file and this test reads through its auto server while
    // it runs, then opens the file itself, and the restarted connector gets it after that.
    String url = ConnectorConfig.DB_URL.defaultValue();
    assertThat(url).isEqualTo("jdbc:h2:file:./data/connector;AUTO_SERVER=TRUE");
    String readerUrl = "jdbc:h2:file:" + work.resolve("data/connector") + ";AUTO_SERVER=TRUE";
    drain(
        Map.of("CONNECTOR_DB_URL", url),
        () -> DriverManager.getConnection(readerUrl, "", ""),
        "h2");
  }

  private void drain(Map<String, String> dbEnv, Reader reader, String label) throws Exception {
    int twilioPort = FreePort.find();
    Map<String, String> env = new HashMap<>(dbEnv);
    env.put("CONNECTOR_MODE", "sandbox");
    env.put("CRM_EVENTS_ENABLED", "false");
    env.put("SANDBOX_TWILIO_PORT", String.valueOf(twilioPort));
    env.put("OUTBOX_INSTANCE_ID", "drain-a");
    // Long enough for the 300 rows a connector may hold (outbox.max-in-flight) at 1 s each on a
    // busy machine; the default is 20 s.
    env.put("CONNECTOR_DRAIN_TIMEOUT", "60s");
    int portA = FreePort.find();
    env.put("CONNECTOR_PUBLIC_URL", "http://127.0.0.1:" + portA);

    ConnectorProcess a = ConnectorProcess.start(work, env, portA);
    Callbacks callbacks = new Callbacks("http://127.0.0.1:" + portA + STATUS_PATH);
    // A connection per query: on H2 the file belongs to whichever process has it open, and a
    // connection through one process's auto server dies with that process.
    Reader c = reader;
    try {
      a.awaitReady(Duration.ofSeconds(420));
      // Every create takes 300 ms, so sends are in flight whenever the SIGTERM lands.
      put("http://127.0.0.1:" + twilioPort + "/sandbox/faults", "{\"latencyMillis\":300}");
      callbacks.start();
      await()
          .atMost(Duration.ofSeconds(60))
          .failFast("connector died", () -> !a.isAlive())
          .until(() -> callbacks.acked.size() >= 20);
      try (Connection conn = c.open();
          PreparedStatement p =
              conn.prepareStatement(
                  "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body)"
                      + " VALUES (?, 'sms', ?, '+15005550006', 'drain test')")) {
        for (int i = 0; i < ROWS; i++) {
          p.setString(1, "drain-" + i);
          p.setString(2, "+1415555" + String.format("%04d", 4000 + i % 10));
          p.addBatch();
        }
        p.executeBatch();
      }
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(50))
          .failFast("connector died", () -> !a.isAlive())
          .until(() -> count(c, "status = 'SENT'") >= 20 && count(c, "status = 'SENDING'") > 0);

      long claimedOrSent = count(c, "status IN ('SENT', 'SENDING')");
      int logBefore = a.output().length();
      long t0 = System.nanoTime();
      ProcessHandle.of(a.pid()).orElseThrow().destroy(); // SIGTERM
      int exit = a.awaitExit(Duration.ofSeconds(420));
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      callbacks.stop();
      System.out.printf(
          "graceful drain (%s): exit %d after %d ms; %d claimed or sent at SIGTERM; webhook"
              + " answers %s; %d callbacks acknowledged; %s%n",
          label,
          exit,
          took.toMillis(),
          claimedOrSent,
          callbacks.answers,
          callbacks.acked.size(),
          statuses(c));

      String out = a.output().substring(logBefore);
      assertThat(exit).as(out).isIn(0, 143);
      assertThat(out).as("stack trace at shutdown").doesNotContainPattern("\\n\\s+at [a-z]");
      assertThat(out).contains("readiness DOWN").contains("Stopping: outbox drained");
      // The database stays open until the connector's own last step: on H2 its exit hook closed
      // it under the drain, and the results were recorded only after the pool reopened it, if at
      // all (left RETRY in a manual run).
      assertThat(out)
          .as("database closed during the drain")
          .doesNotContain("Database is already closed")
          .doesNotContainPattern("Recording \\d+ outbox results failed");
      assertThat(count(c, "status IN ('SENDING', 'RECONCILING')")).as(statuses(c)).isZero();
      // Drained, not merely released: every row claimed at the SIGTERM was sent and recorded.
      assertThat(count(c, "status = 'RECONCILE'")).as(statuses(c)).isZero();
      assertThat(count(c, "status = 'SENT'")).isGreaterThanOrEqualTo(claimedOrSent);
      assertThat(count(c, "status = 'SENT' AND twilio_sid IS NULL")).isZero();
      // 200 before the drain, 503 during it; a 404 or 500 would be a callback Twilio drops.
      assertThat(callbacks.answers.keySet()).as(callbacks.answers.toString()).isSubsetOf(200, 503);
      assertThat(callbacks.answers).containsKey(503);
      Set<String> stored = storedSids(c, callbacks.prefix);
      assertThat(callbacks.acked.stream().filter(s -> !stored.contains(s)).toList())
          .as("callbacks answered 200 but not stored")
          .isEmpty();

      // A new process sends what the first never claimed: every row sent, each exactly once.
      env.put("OUTBOX_INSTANCE_ID", "drain-b");
      int portB = FreePort.find();
      env.put("CONNECTOR_PUBLIC_URL", "http://127.0.0.1:" + portB);
      try (ConnectorProcess b = ConnectorProcess.start(work, env, portB)) {
        b.awaitReady(Duration.ofSeconds(420));
        await()
            .atMost(Duration.ofSeconds(180))
            .untilAsserted(
                () -> assertThat(count(c, "status = 'SENT'")).as(statuses(c)).isEqualTo(ROWS));
      }
      assertThat(
              count(
                  c,
                  "id IN (SELECT message_id FROM outbox_attempt WHERE outcome = 'SENT'"
                      + " GROUP BY message_id HAVING COUNT(*) > 1)"))
          .as("rows created in Twilio twice")
          .isZero();
      assertThat(
              count(
                  c,
                  "twilio_sid IN (SELECT twilio_sid FROM outbox_message GROUP BY"
                      + " twilio_sid HAVING COUNT(*) > 1)"))
          .as("rows sharing a Twilio SID")
          .isZero();
    } finally {
      callbacks.stop();
      a.close();
    }
  }

  /** Signed status callbacks for made-up SIDs, posted without pause by two clients. */
  private static final class Callbacks {
    final String url;
    final String prefix = String.format("%08x", ThreadLocalRandom.current().nextInt());
    final Set<String> acked = ConcurrentHashMap.newKeySet();
    final Map<Integer, AtomicLong> answers = new ConcurrentHashMap<>();
    final AtomicLong posted = new AtomicLong();
    final AtomicBoolean running = new AtomicBoolean();
    final TwilioSignature signer = new TwilioSignature(TwilioSandboxSettings.DEFAULT_AUTH_TOKEN);
    final Thread[] clients = new Thread[2];

    Callbacks(String url) {
      this.url = url;
    }

    void start() {
      running.set(true);
      for (int i = 0; i < clients.length; i++) {
        clients[i] = new Thread(this::post, "drain-callbacks-" + i);
        clients[i].start();
      }
    }

    void stop() throws InterruptedException {
      running.set(false);
      for (Thread t : clients) {
        if (t != null) {
          t.join();
        }
      }
    }

    private void post() {
      while (running.get()) {
        String sid = "SM" + prefix + String.format("%024x", posted.incrementAndGet());
        try {
          int status = HTTP.send(request(sid), HttpResponse.BodyHandlers.discarding()).statusCode();
          answers.computeIfAbsent(status, k -> new AtomicLong()).incrementAndGet();
          if (status == 200) {
            acked.add(sid);
          }
        } catch (java.io.IOException e) {
          // refused once the server closed: never acknowledged
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }

    private HttpRequest request(String sid) {
      Map<String, String> f = new LinkedHashMap<>();
      f.put("AccountSid", TwilioSandboxSettings.DEFAULT_ACCOUNT_SID);
      f.put("MessageSid", sid);
      f.put("SmsSid", sid);
      f.put("MessageStatus", "delivered");
      f.put("SmsStatus", "delivered");
      f.put("From", "+15005550006");
      f.put("To", "+14155550101");
      f.put("ApiVersion", "2010-04-01");
      String body =
          f.entrySet().stream()
              .map(
                  e ->
                      URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)
                          + "="
                          + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
              .collect(Collectors.joining("&"));
      return HttpRequest.newBuilder(URI.create(url))
          .timeout(Duration.ofSeconds(20))
          .header("Content-Type", "application/x-www-form-urlencoded")
          .header("X-Twilio-Signature", signer.signSingle(url, f))
          .POST(HttpRequest.BodyPublishers.ofString(body))
          .build();
    }
  }

  private static Set<String> storedSids(Reader r, String prefix) throws Exception {
    Set<String> stored = new HashSet<>();
    try (Connection c = r.open();
        PreparedStatement ps =
            c.prepareStatement("SELECT sid FROM webhook_event WHERE sid LIKE ?")) {
      ps.setString(1, "SM" + prefix + "%");
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          stored.add(rs.getString(1));
        }
      }
    }
    return stored;
  }

  private static long count(Reader r, String where) throws Exception {
    try (Connection c = r.open();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT COUNT(*) FROM outbox_message WHERE idempotency_key LIKE 'drain-%' AND "
                    + where)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String statuses(Reader r) throws Exception {
    StringBuilder sb = new StringBuilder();
    try (Connection c = r.open();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT status, COUNT(*) FROM outbox_message GROUP BY status ORDER BY status")) {
      while (rs.next()) {
        sb.append(rs.getString(1)).append('=').append(rs.getLong(2)).append(' ');
      }
    }
    return sb.toString().trim();
  }

  private static void put(String url, String json) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isLessThan(300);
  }
}
