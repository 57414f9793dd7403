package org.twiliocrm.console;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.twiliocrm.app.ConnectorApp;
import org.twiliocrm.config.ConfigSource;
import org.twiliocrm.testsupport.FreePort;
import org.twiliocrm.testsupport.TestDatabase;
import org.twiliocrm.testsupport.TestOperators;

/**
 * The connector in-process in sandbox mode on a free port, with the test operators, PostgreSQL, the
 * Twilio and Salesforce sandboxes and the write-back on (so a message's timeline fills as it would
 * for a user), and a policy that holds any campaign of more than three rows for approval.
 */
final class ConsoleConnector implements AutoCloseable {
  static final String FROM = "+15005550006";
  final TestDatabase db;
  final ConnectorApp app;
  final int port;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private ConsoleConnector(TestDatabase db, ConnectorApp app, int port) {
    this.db = db;
    this.app = app;
    this.port = port;
  }

  static ConsoleConnector start(String purpose) throws Exception {
    TestDatabase db = TestDatabase.postgres(purpose);
    int port = FreePort.find();
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
    p.setProperty("connector.http.port", String.valueOf(port));
    p.setProperty("connector.public-url", "http://127.0.0.1:" + port);
    p.setProperty("connector.routes.location", Path.of("routes").toAbsolutePath().toString());
    p.setProperty("connector.kamelets.location", Path.of("kamelets").toAbsolutePath().toString());
    p.setProperty("connector.db.url", db.url());
    if (db.user() != null) {
      p.setProperty("connector.db.user", db.user());
    }
    p.setProperty("connector.operator.credentials", TestOperators.file().toString());
    p.setProperty("crm.events.enabled", "false");
    p.setProperty("sandbox.twilio.port", "0");
    p.setProperty("sandbox.twilio.validation.requests", "false");
    p.setProperty("sandbox.salesforce.port", "0");
    p.setProperty(
        "sandbox.salesforce.data-dir", Files.createTempDirectory("sf-sandbox").toString());
    p.setProperty("governance.policies.location", policy.toString());
    p.setProperty("outbox.poll-interval", "200ms");
    Map<String, String> env = new HashMap<>();
    p.stringPropertyNames().forEach(k -> env.put(ConfigSource.envName(k), p.getProperty(k)));
    ConnectorApp app = new ConnectorApp(ConfigSource.load(env, p));
    app.start();
    return new ConsoleConnector(db, app, port);
  }

  String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  /** Inserts one outbox row the way a business application does and returns its id. */
  long insert(String key, String to, String body, String campaign, String requestedBy) {
    db.exec(
        // No CRM record: the write-back then creates the message record on its own (a made-up
        // Contact id would be refused by the Salesforce sandbox as malformed).
        "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body, campaign,"
            + " requested_by) VALUES (?, 'sms', ?, ?, ?, ?, ?)",
        key,
        to,
        FROM,
        body,
        campaign,
        requestedBy);
    return Long.parseLong(
        db.string("SELECT id FROM outbox_message WHERE idempotency_key = ?", key));
  }

  /**
   * A campaign of n rows in one transaction (the bulk rule sees it whole) as {@code requestedBy}.
   */
  void insertCampaign(String campaign, int n, String to, String requestedBy) throws Exception {
    try (java.sql.Connection c = db.connect();
        java.sql.PreparedStatement ps =
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
        ps.executeUpdate();
      }
      c.commit();
    }
  }

  HttpResponse<String> send(String method, String path, Map<String, String> headers, String body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url(path)))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    app.stop();
    db.close();
  }
}
