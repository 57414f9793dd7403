package org.twiliocrm.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;
import org.twiliocrm.testsupport.FreePort;
import org.twiliocrm.testsupport.TestConnector;
import org.twiliocrm.twilio.TwilioSignature;

/**
 * Dev mode and kamelets: the connector runs on a copy of the shipped routes/ and kamelets/; the
 * twilio-webhook-source kamelet, which every Twilio webhook route is built from, is edited while it
 * runs, and a signed status callback posted from outside shows the edit. A broken edit is reported
 * with file:line and the callbacks keep being answered by the last good version.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KameletReloadIT {
  static final String STATUS_PATH = "/webhooks/twilio/message-status";
  static final String MARKER = "X-Kamelet-Edit";
  static final String FINISH =
      """
              - process:
                  ref: twilioWebhookFinish
      """;

  @TempDir static Path tree;
  static ConnectorApp app;
  static Path kamelet;
  static String shipped;
  static int port;
  static String dbUrl;
  static final AtomicLong sids = new AtomicLong();
  static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  static final TwilioSignature SIGNER =
      new TwilioSignature(TwilioSandboxSettings.DEFAULT_AUTH_TOKEN);

  @BeforeAll
  static void start() throws Exception {
    Path routes = copy("routes");
    Path kamelets = copy("kamelets");
    kamelet = kamelets.resolve("twilio-webhook-source.kamelet.yaml");
    shipped = Files.readString(kamelet, StandardCharsets.UTF_8);
    assertThat(shipped).contains(FINISH);
    port = FreePort.find();
    dbUrl = "jdbc:h2:mem:kamelet-reload-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1";
    app =
        TestConnector.on(dbUrl, null)
            .port(port)
            .property("connector.dev", "true")
            .property("connector.routes.location", routes.toString())
            .property("connector.kamelets.location", kamelets.toString())
            .property("crm.events.enabled", "false")
            .property(
                "sandbox.salesforce.data-dir",
                Files.createDirectories(tree.resolve("sf")).toString())
            .start()
            .app();
    await().atMost(Duration.ofSeconds(60)).until(() -> app.reloader() != null);
    // The first request loads the webhook stack's classes, which took over 20 s on a machine
    // loaded far beyond its two cores: the tests start once the shipped kamelet answers.
    await()
        .atMost(Duration.ofSeconds(180))
        .ignoreExceptions()
        .until(() -> callback().equals("200 -"));
  }

  @AfterAll
  static void stop() {
    if (app != null) {
      app.stop();
    }
  }

  static Path copy(String folder) throws Exception {
    Path to = Files.createDirectories(tree.resolve(folder));
    try (Stream<Path> s = Files.list(Path.of(folder))) {
      for (Path f : s.toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
    return to;
  }

  /** The shipped kamelet with one more step after the reply is finished: a response header. */
  static String withMarker(String value) {
    return shipped.replace(
        FINISH,
        FINISH
            + """
                    - setHeader:
                        name: %s
                        constant: "%s"
            """
                .formatted(MARKER, value));
  }

  /** Posts a signed status callback for a new message SID; answers "status marker". */
  static String callback() throws Exception {
    String url = "http://127.0.0.1:" + port + STATUS_PATH;
    String sid = String.format("SM%032x", sids.incrementAndGet());
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
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("X-Twilio-Signature", SIGNER.signSingle(url, f))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return r.statusCode() + " " + r.headers().firstValue(MARKER).orElse("-");
  }

  @Test
  @Order(1)
  void anEditedKameletRebuildsTheRoutesThatUseIt() throws Exception {
    assertThat(callback()).isEqualTo("200 -");
    long applied = app.reloader().appliedCount();
    long t0 = System.nanoTime();
    Files.writeString(kamelet, withMarker("v2"));
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> callback().equals("200 v2"));
    System.out.printf(
        "webhook kamelet edit live after %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    // the callback can see the new routes a moment before the reloader counts the edit
    await().atMost(Duration.ofSeconds(30)).until(() -> app.reloader().appliedCount() > applied);
    assertThat(app.reloader().lastProblems()).isEmpty();
    // every route built from the kamelet was rebuilt once: no second consumer on any path
    assertThat(
            app.camelContext().getRoutes().stream()
                .filter(r -> r.getRouteId().startsWith("twilio-webhook-source"))
                .count())
        .isEqualTo(4);
  }

  @Test
  @Order(2)
  void brokenYamlIsReportedWithFileAndLineAndTheLastGoodVersionKeepsRunning() throws Exception {
    String broken = withMarker("v3").replace("    title: Twilio webhook", "    title: [unclosed");
    assertThat(broken).contains("[unclosed");
    int title = broken.lines().toList().indexOf("    title: [unclosed") + 1;
    assertThat(title).isPositive();
    Files.writeString(kamelet, broken);
    await().atMost(Duration.ofSeconds(30)).until(() -> !app.reloader().lastProblems().isEmpty());
    assertThat(app.reloader().lastProblems())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.file()).isEqualTo(kamelet.toAbsolutePath().normalize());
              // the mark is where the parser gave up: the bad line or the one after it
              assertThat(f.line()).isBetween(title, title + 1);
              assertThat(f.problem()).startsWith("YAML syntax");
            });
    assertThat(callback()).isEqualTo("200 v2");
  }

  @Test
  @Order(3)
  void aTemplateCamelCannotBuildIsReportedAtItsLineAndTheLastGoodVersionIsPutBack()
      throws Exception {
    String broken =
        withMarker("v4")
            .replace(
                FINISH,
                FINISH
                    + """
                            - to:
                                uri: "nosuchcomponent:x"
                    """);
    Files.writeString(kamelet, broken);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                app.reloader().lastProblems().stream()
                    .anyMatch(f -> f.problem().contains("nosuchcomponent")));
    java.util.List<String> lines = broken.lines().toList();
    int line =
        lines.indexOf(
                lines.stream().filter(l -> l.contains("nosuchcomponent")).findFirst().orElseThrow())
            + 1;
    assertThat(app.reloader().lastProblems())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.file()).isEqualTo(kamelet.toAbsolutePath().normalize());
              assertThat(f.line()).isEqualTo(line);
            });
    assertThat(callback()).isEqualTo("200 v2");
    // and a good edit after a bad one applies again
    Files.writeString(kamelet, withMarker("v5"));
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> callback().equals("200 v5"));
    await().atMost(Duration.ofSeconds(30)).until(() -> app.reloader().lastProblems().isEmpty());
  }

  @Test
  @Order(4)
  void anEditedActionKameletChangesWhatTheOutboxSendsToTwilio() throws Exception {
    Path action = kamelet.resolveSibling("twilio-send-message-action.kamelet.yaml");
    String text = Files.readString(action, StandardCharsets.UTF_8);
    String send =
        """
                - process:
                    ref: "{{sender}}"
        """;
    assertThat(text).contains(send);
    insertSms("kamelet-reload-1", "before the edit");
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> sentBodies().contains("before the edit"));

    long applied = app.reloader().appliedCount();
    long t0 = System.nanoTime();
    Files.writeString(
        action,
        text.replace(
            send,
            """
                    - setHeader:
                        name: CamelTwilioBody
                        simple: "${header.CamelTwilioBody} (kamelet v2)"
            """
                + send));
    // The outbox routes are rebuilt once the reloader has applied the edit; the next row then goes
    // out through the new kamelet (its send time adds the outbox's claim and the sandbox's
    // answer, which are not part of the reload).
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> app.reloader().appliedCount() > applied);
    long reloaded = System.nanoTime();
    assertThat(app.reloader().lastProblems()).isEmpty();
    insertSms("kamelet-reload-2", "after the edit");
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> sentBodies().contains("after the edit (kamelet v2)"));
    System.out.printf(
        "action kamelet edit applied after %d ms; the next outbox row reached the Twilio sandbox"
            + " %d ms later%n",
        (reloaded - t0) / 1_000_000, (System.nanoTime() - reloaded) / 1_000_000);
    assertThat(sentBodies()).doesNotContain("after the edit");
  }

  @Test
  @Order(5)
  void aDeletedKameletFallsBackToThePackagedCopy() throws Exception {
    assertThat(callback()).isEqualTo("200 v5");
    Files.delete(kamelet);
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> callback().equals("200 -"));
  }

  static void insertSms(String key, String body) throws Exception {
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(dbUrl);
        java.sql.PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body)"
                    + " VALUES (?, 'sms', '+14155550101', '+15005550006', ?)")) {
      ps.setString(1, key);
      ps.setString(2, body);
      ps.executeUpdate();
    }
  }

  /** The bodies of the messages the Twilio sandbox received, read over its HTTP API. */
  static java.util.List<String> sentBodies() throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(app.property("twilio.base-url") + "/sandbox/messages"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    Object json =
        new com.fasterxml.jackson.databind.ObjectMapper().readValue(r.body(), Object.class);
    java.util.List<?> list =
        json instanceof java.util.List<?> l
            ? l
            : (java.util.List<?>) ((Map<?, ?>) json).get("messages");
    return list.stream().map(m -> String.valueOf(((Map<?, ?>) m).get("body"))).toList();
  }
}
