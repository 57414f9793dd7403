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
 * runs, and a signed status callback posted from outside shows the edit (callbacks posted during
 * the rebuild are answered, or refused 503 with Retry-After, never 500). A broken edit is reported
 * with file:line and the callbacks keep being answered by the last good version. The outbox's
 * sending kamelet is edited while rows keep arriving: the next row goes out through the new
 * kamelet, and every row is sent exactly once. The times from save to effect are printed, not
 * asserted (the suite runs on busy machines).
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
    HttpResponse<String> r = post();
    return r.statusCode() + " " + r.headers().firstValue(MARKER).orElse("-");
  }

  /**
   * Posts callbacks one after another until {@code done} says stop; returns each answer as "status
   * marker" or, for a refusal, "status Retry-After".
   */
  static java.util.List<String> callbacksUntil(java.util.function.BooleanSupplier done)
      throws Exception {
    java.util.List<String> seen = new java.util.ArrayList<>();
    while (!done.getAsBoolean()) {
      HttpResponse<String> r = post();
      seen.add(
          r.statusCode()
              + " "
              + (r.statusCode() == 200
                  ? r.headers().firstValue(MARKER).orElse("-")
                  : r.headers().firstValue("Retry-After").orElse("no Retry-After")));
    }
    return seen;
  }

  static HttpResponse<String> post() throws Exception {
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
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("X-Twilio-Signature", SIGNER.signSingle(url, f))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @Order(1)
  void anEditedKameletRebuildsTheRoutesThatUseIt() throws Exception {
    assertThat(callback()).isEqualTo("200 -");
    long built = webhookKameletRoutes();
    long applied = app.reloader().appliedCount();
    long t0 = System.nanoTime();
    Files.writeString(kamelet, withMarker("v2"));
    // Callbacks back to back while the webhook routes are rebuilt: each is answered by the old
    // kamelet, the new one, or refused 503 with Retry-After (Twilio tries again); never a 500.
    java.util.List<String> seen =
        callbacksUntil(
            () ->
                app.reloader().appliedCount() > applied
                    || System.nanoTime() - t0 > Duration.ofSeconds(30).toNanos());
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> callback().equals("200 v2"));
    System.out.printf(
        "webhook kamelet edit live after %d ms (%d callbacks during the reload: %s)%n",
        (System.nanoTime() - t0) / 1_000_000,
        seen.size(),
        seen.stream()
            .collect(Collectors.groupingBy(x -> x, java.util.TreeMap::new, Collectors.counting())));
    assertThat(seen).isNotEmpty().allMatch(x -> x.matches("200 (-|v2)|503 1"));
    // the callback can see the new routes a moment before the reloader counts the edit
    await().atMost(Duration.ofSeconds(30)).until(() -> app.reloader().appliedCount() > applied);
    assertThat(app.reloader().lastProblems()).isEmpty();
    // every route built from the kamelet was rebuilt once: no second consumer on any path
    assertThat(webhookKameletRoutes()).isEqualTo(built);
  }

  static long webhookKameletRoutes() {
    return app.camelContext().getRoutes().stream()
        .filter(r -> r.getRouteId().startsWith("twilio-webhook-source"))
        .count();
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
    // Rows keep arriving while the kamelet is replaced: each goes out once, through the old
    // kamelet or the new one, none is lost or sent twice. The first row inserted after the reload
    // shows the new kamelet is in use.
    int during = 0;
    while (app.reloader().appliedCount() == applied
        && System.nanoTime() - t0 < Duration.ofSeconds(60).toNanos()) {
      insertSms("kamelet-reload-during-" + during, "row " + during + " during the edit");
      during++;
      await().pollDelay(Duration.ofMillis(20)).atMost(Duration.ofSeconds(1)).until(() -> true);
    }
    long reloaded = System.nanoTime();
    assertThat(app.reloader().appliedCount()).isGreaterThan(applied);
    assertThat(app.reloader().lastProblems()).isEmpty();
    insertSms("kamelet-reload-2", "after the edit");
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> sentBodies().contains("after the edit (kamelet v2)"));
    long live = System.nanoTime();
    System.out.printf(
        "outbox kamelet edit applied after %d ms; the next outbox row reached the Twilio sandbox"
            + " through it %d ms after the save (%d rows inserted during the reload)%n",
        (reloaded - t0) / 1_000_000, (live - t0) / 1_000_000, during);
    assertThat(sentBodies()).doesNotContain("after the edit");
    int rows = during;
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> statusCount("kamelet-reload-during-%", "SENT") == rows);
    java.util.List<String> bodies = sentBodies();
    for (int i = 0; i < during; i++) {
      String row = "row " + i + " during the edit";
      assertThat(bodies.stream().filter(b -> b.equals(row) || b.equals(row + " (kamelet v2)")))
          .as(row)
          .hasSize(1);
    }
  }

  /** How many outbox rows whose idempotency key is LIKE {@code keys} have {@code status}. */
  static int statusCount(String keys, String status) throws Exception {
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(dbUrl);
        java.sql.PreparedStatement ps =
            c.prepareStatement(
                "SELECT COUNT(*) FROM outbox_message WHERE idempotency_key LIKE ? AND status = ?")) {
      ps.setString(1, keys);
      ps.setString(2, status);
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
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
