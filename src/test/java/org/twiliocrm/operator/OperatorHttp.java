package org.twiliocrm.operator;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.twiliocrm.app.ConnectorApp;
import org.twiliocrm.config.ConfigSource;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.testsupport.FreePort;

/**
 * The connector in-process in sandbox mode on a free port, and a plain HTTP/1.1 client for its
 * operator endpoints: the same wiring the jar runs, spoken to over a real socket.
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
    int port = FreePort.find();
    Properties p = new Properties();
    p.setProperty("connector.http.port", String.valueOf(port));
    p.setProperty("connector.public-url", "http://127.0.0.1:" + port);
    p.setProperty("connector.routes.location", Path.of("routes").toAbsolutePath().toString());
    p.setProperty("connector.kamelets.location", Path.of("kamelets").toAbsolutePath().toString());
    p.setProperty("connector.db.url", db.url());
    if (db.user() != null) {
      p.setProperty("connector.db.user", db.user());
    }
    p.setProperty("crm.events.enabled", "false");
    p.setProperty("webhook.crm.writeback.enabled", "false");
    p.setProperty("sandbox.twilio.port", "0");
    p.setProperty("sandbox.twilio.validation.requests", "false");
    p.setProperty("sandbox.salesforce.port", "0");
    p.setProperty(
        "sandbox.salesforce.data-dir",
        java.nio.file.Files.createTempDirectory("sf-sandbox").toString());
    if (credentials != null) {
      p.setProperty("connector.operator.credentials", credentials.toString());
    }
    p.putAll(extra);
    // System properties only carry some key prefixes (ConfigSource.load); every documented key
    // can come from the environment, so the extras go both ways.
    java.util.Map<String, String> env = new java.util.HashMap<>();
    extra
        .stringPropertyNames()
        .forEach(k -> env.put(ConfigSource.envName(k), extra.getProperty(k)));
    ConnectorApp app = new ConnectorApp(ConfigSource.load(env, p));
    app.start();
    return new OperatorHttp(app, port);
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
