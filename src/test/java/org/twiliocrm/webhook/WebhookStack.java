package org.twiliocrm.webhook;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.twiliocrm.app.ConnectorApp;
import org.twiliocrm.config.ConfigSource;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.sandbox.salesforce.SalesforceSandbox;
import org.twiliocrm.sandbox.twilio.TwilioSandbox;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;
import org.twiliocrm.testsupport.FreePort;
import org.twiliocrm.testsupport.TestDatabase;
import org.twiliocrm.testsupport.TestHttp;
import org.twiliocrm.twilio.TwilioSignature;

/**
 * The whole stack over real sockets: a fresh PostgreSQL schema, the Twilio sandbox and the
 * Salesforce sandbox in-process on free ports, and the connector (ConnectorApp) loading the routes
 * and kamelets shipped in routes/ and kamelets/.
 */
public final class WebhookStack implements AutoCloseable {
  public static final String ACCOUNT = TwilioSandboxSettings.DEFAULT_ACCOUNT_SID;
  public static final String TOKEN = TwilioSandboxSettings.DEFAULT_AUTH_TOKEN;
  public static final String SUB_ACCOUNT = "AC11111111111111111111111111111111";
  public static final String SUB_TOKEN = "sub-account-token";
  public static final String NUMBER = "+15005550006";

  public final TestDatabase database;
  public final ConnectorConfig.Db db;
  public final TwilioSandbox twilio;
  public final SalesforceSandbox salesforce;
  public final ConnectorApp app;
  public final int port;
  public final String publicUrl;
  public final HttpClient http = TestHttp.client();
  private final TestHttp control = new TestHttp();

  public WebhookStack(Map<String, String> overrides) throws Exception {
    database = TestDatabase.postgres("webhooks");
    db = database.config();
    port = FreePort.find();
    publicUrl = "http://127.0.0.1:" + port;
    Properties p = new Properties();
    p.setProperty("connector.mode", "sandbox");
    p.setProperty("connector.http.host", "127.0.0.1");
    p.setProperty("connector.http.port", String.valueOf(port));
    p.setProperty("connector.public-url", publicUrl);
    p.setProperty("connector.db.url", db.url());
    p.setProperty("connector.db.user", db.user());
    p.setProperty("connector.db.pool-size", "20");
    p.setProperty("connector.routes.location", Path.of("routes").toAbsolutePath().toString());
    p.setProperty("connector.kamelets.location", Path.of("kamelets").toAbsolutePath().toString());
    p.setProperty("outbox.enabled", "false");
    // The CRM event subscription's CometD polls would count against the org's API calls, which
    // the write-back test measures.
    p.setProperty("crm.events.enabled", "false");
    p.setProperty("webhook.auth-tokens", SUB_ACCOUNT + ":" + SUB_TOKEN);
    p.setProperty("webhook.crm.writeback.initial-backoff-millis", "200");
    p.setProperty("webhook.crm.writeback.max-backoff-millis", "1000");
    p.setProperty("webhook.process.poll-millis", "200");
    // The connector starts both emulators itself in sandbox mode (free ports here) and points its
    // production clients at them; the test then drives the same instances.
    p.setProperty("sandbox.twilio.port", "0");
    p.setProperty("sandbox.twilio.event-loops", "2");
    p.setProperty("sandbox.twilio.lifecycle.step-millis", "20");
    p.setProperty("sandbox.twilio.validation.requests", "false");
    // The test machine is shared and often overloaded: give callbacks time rather than failing.
    p.setProperty("sandbox.twilio.callback.timeout-millis", "30000");
    p.setProperty("sandbox.salesforce.port", "0");
    p.setProperty(
        "sandbox.salesforce.data-dir", Files.createTempDirectory("sf-sandbox").toString());
    p.setProperty("sandbox.twilio.accounts", ACCOUNT + ":" + TOKEN);
    overrides.forEach(p::setProperty);
    app = new ConnectorApp(ConfigSource.load(Map.of(), p));
    app.start();
    twilio = org.twiliocrm.app.TestSandboxes.twilio(app);
    salesforce = org.twiliocrm.app.TestSandboxes.salesforce(app);
  }

  /** Posts a form signed as Twilio would for {@code url} (as Twilio called it). */
  HttpResponse<String> postSigned(
      String path, Map<String, String> form, String token, Map<String, String> headers)
      throws Exception {
    String signature = new TwilioSignature(token).signSingle(publicUrl + path, form);
    return post(path, form, signature, headers);
  }

  HttpResponse<String> post(
      String path, Map<String, String> form, String signature, Map<String, String> headers)
      throws Exception {
    Map<String, List<String>> multi = new java.util.TreeMap<>();
    form.forEach((k, v) -> multi.put(k, List.of(v)));
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(WebhookGate.encodeForm(multi)));
    if (signature != null) {
      b.header("X-Twilio-Signature", signature);
    }
    headers.forEach(b::header);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  public HttpResponse<String> get(String path) {
    return control.get("http://127.0.0.1:" + port + path);
  }

  public long count(String sql, Object... args) {
    return database.count(sql, args);
  }

  String string(String sql, Object... args) {
    return database.string(sql, args);
  }

  void exec(String sql, Object... args) {
    database.exec(sql, args);
  }

  /** Calls a Twilio sandbox control endpoint with a JSON body. */
  HttpResponse<String> twilioControl(String method, String path, String json) {
    return control.sendJson(method, twilio.baseUrl() + path, json);
  }

  /** Creates a message in the Twilio sandbox with our status callback (plain HTTP, Basic auth). */
  HttpResponse<String> createMessage(String to, String body) throws Exception {
    String form =
        "To="
            + enc(to)
            + "&From="
            + enc(NUMBER)
            + "&Body="
            + enc(body)
            + "&StatusCallback="
            + enc(publicUrl + "/webhooks/twilio/message-status");
    return control.send(
        "POST",
        twilio.baseUrl() + "/2010-04-01/Accounts/" + ACCOUNT + "/Messages.json",
        "application/x-www-form-urlencoded",
        form.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        "Authorization",
        TestHttp.basic(ACCOUNT, TOKEN));
  }

  static String enc(String s) {
    return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    // Stopping the connector also stops the emulators it started.
    try {
      app.stop();
    } finally {
      database.close();
    }
  }
}
