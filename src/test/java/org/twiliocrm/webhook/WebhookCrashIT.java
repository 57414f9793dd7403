package org.twiliocrm.webhook;

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
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
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
 * Persist, then acknowledge, survives SIGKILL. Signed status callbacks are posted without pause by
 * a few concurrent clients to the packaged jar; the jar is killed with SIGKILL mid-load and started
 * again on the same database. Every callback that was answered 200 must be in webhook_event. Run on
 * the embedded default (an H2 file under the working directory, the URL a newcomer gets) and on
 * PostgreSQL.
 */
class WebhookCrashIT {
  private static final String PATH = "/webhooks/twilio/message-status";
  private static final int CLIENTS = 4;
  private static final int ACKED_BEFORE_KILL = 1_000;

  @TempDir Path work;

  @Test
  void noAcknowledgedCallbackIsLostOnTheEmbeddedDefault() throws Exception {
    // No CONNECTOR_DB_URL: the default jdbc:h2:file:./data/connector;AUTO_SERVER=TRUE.
    String readerUrl = "jdbc:h2:file:" + work.resolve("data/connector") + ";AUTO_SERVER=TRUE";
    crashAndCount(Map.of(), () -> DriverManager.getConnection(readerUrl, "", ""), "h2");
  }

  @Test
  void noAcknowledgedCallbackIsLostOnPostgres() throws Exception {
    ConnectorConfig.Db db = TestDatabase.postgres("webhook_crash").config();
    crashAndCount(
        Map.of("CONNECTOR_DB_URL", db.url(), "CONNECTOR_DB_USER", db.user()),
        () -> DriverManager.getConnection(db.url(), db.user(), null),
        "postgresql");
  }

  @FunctionalInterface
  interface Reader {
    Connection open() throws Exception;
  }

  private void crashAndCount(Map<String, String> dbEnv, Reader reader, String label)
      throws Exception {
    int port = FreePort.find();
    Map<String, String> env = new HashMap<>(dbEnv);
    env.put("SANDBOX_TWILIO_PORT", "0");
    env.put("SANDBOX_SALESFORCE_PORT", "0");
    env.put("CONNECTOR_PUBLIC_URL", "http://127.0.0.1:" + port);
    String prefix = String.format("%08x", ThreadLocalRandom.current().nextInt());
    Set<String> acked = ConcurrentHashMap.newKeySet();
    AtomicLong posted = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    TwilioSignature signer = new TwilioSignature(TwilioSandboxSettings.DEFAULT_AUTH_TOKEN);
    String url = "http://127.0.0.1:" + port + PATH;
    long killedAtAcked;
    try (ConnectorProcess first = ConnectorProcess.start(work, env, port)) {
      first.awaitReady(Duration.ofSeconds(120));
      for (int c = 0; c < CLIENTS; c++) {
        clients.submit(
            () -> {
              while (!stop.get()) {
                String sid = "SM" + prefix + String.format("%024x", posted.incrementAndGet());
                try {
                  HttpResponse<Void> r = http.send(post(url, sid, signer), discarding());
                  if (r.statusCode() == 200) {
                    acked.add(sid);
                  } else {
                    refused.incrementAndGet();
                  }
                } catch (java.io.IOException e) {
                  // the connector is gone (killed): this one was never acknowledged
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  return;
                }
              }
            });
      }
      await()
          .atMost(Duration.ofSeconds(180))
          .pollInterval(Duration.ofMillis(20))
          .failFast("connector died", () -> !first.isAlive())
          .until(() -> acked.size() >= ACKED_BEFORE_KILL);
      first.kill(); // SIGKILL while the clients keep posting
      killedAtAcked = acked.size();
    } finally {
      stop.set(true);
      clients.shutdown();
      clients.awaitTermination(30, TimeUnit.SECONDS);
    }
    assertThat(refused.get()).as("non-200 answers before the kill").isZero();
    try (ConnectorProcess second = ConnectorProcess.start(work, env, FreePort.find())) {
      second.awaitReady(Duration.ofSeconds(120));
      Set<String> stored = new HashSet<>();
      try (Connection c = reader.open();
          PreparedStatement ps =
              c.prepareStatement("SELECT sid FROM webhook_event WHERE sid LIKE ?")) {
        ps.setString(1, "SM" + prefix + "%");
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            stored.add(rs.getString(1));
          }
        }
      }
      Set<String> missing =
          acked.stream().filter(s -> !stored.contains(s)).collect(Collectors.toSet());
      System.out.printf(
          "webhook crash test (%s): %d posted, %d answered 200 (%d at the kill), %d stored after"
              + " restart, %d acknowledged but missing%n",
          label, posted.get(), acked.size(), killedAtAcked, stored.size(), missing.size());
      assertThat(missing).as("answered 200 but not in webhook_event after restart").isEmpty();
    }
  }

  private static HttpResponse.BodyHandler<Void> discarding() {
    return HttpResponse.BodyHandlers.discarding();
  }

  private static HttpRequest post(String url, String sid, TwilioSignature signer) {
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
