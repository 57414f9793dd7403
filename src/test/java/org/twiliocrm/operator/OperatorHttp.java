package org.twiliocrm.operator;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.twiliocrm.app.ConnectorApp;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.testsupport.TestConnector;

/**
 * The connector in-process in sandbox mode on a free port (TestConnector), and a plain HTTP/1.1
 * client for its operator endpoints: the same wiring the jar runs, spoken to over a real socket.
 */
final class OperatorHttp implements AutoCloseable {
  final ConnectorApp app;
  final int port;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private OperatorHttp(ConnectorApp app, int port) {
    this.app = app;
    this.port = port;
  }

  /** Starts the connector; {@code credentials} null = none configured. */
  static OperatorHttp start(ConnectorConfig.Db db, Path credentials, Properties extra)
      throws Exception {
    java.util.Map<String, String> props = new java.util.HashMap<>();
    extra.stringPropertyNames().forEach(k -> props.put(k, extra.getProperty(k)));
    TestConnector connector =
        TestConnector.on(db.url(), db.user())
            // null: none configured (sandbox mode then generates a token)
            .property(
                "connector.operator.credentials", credentials == null ? "" : credentials.toString())
            .property("crm.events.enabled", "false")
            .property("webhook.crm.writeback.enabled", "false")
            .properties(props)
            .start();
    return new OperatorHttp(connector.app(), connector.port());
  }

  HttpResponse<String> get(String path, String authorization) throws Exception {
    return send("GET", path, authorization, null);
  }

  HttpResponse<String> post(String path, String authorization, String json) throws Exception {
    return send("POST", path, authorization, json);
  }

  HttpResponse<String> send(String method, String path, String authorization, String json)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                json == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) {
      b.header("Content-Type", "application/json");
    }
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    app.stop();
  }
}
