package org.twiliocrm.console;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.twiliocrm.app.ConnectorApp;
import org.twiliocrm.testsupport.TestConnector;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * The connector in-process in sandbox mode on a free port (TestConnector), with the test operators,
 * PostgreSQL, the Twilio and Salesforce sandboxes and the write-back on (so a message's timeline
 * fills as it would for a user), and a policy that holds any campaign of more than three rows for
 * approval.
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
    TestConnector connector =
        TestConnector.on(db)
            .property("crm.events.enabled", "false")
            .property("governance.policies.location", policy.toString())
            .property("outbox.poll-interval", "200ms")
            .start();
    return new ConsoleConnector(db, connector.app(), connector.port());
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
