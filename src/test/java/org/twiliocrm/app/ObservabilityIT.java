package org.twiliocrm.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.twiliocrm.observe.MaskingPatternEncoder;
import org.twiliocrm.outbound.OutcomeClassifier;
import org.twiliocrm.testsupport.TestConnector;
import org.twiliocrm.testsupport.TestDatabase;
import org.twiliocrm.testsupport.TestHttp;
import org.twiliocrm.testsupport.TestOperators;
import org.twiliocrm.webhook.InboundMessageHandler;

/**
 * Issue 15 point 6 over real sockets: the connector in sandbox mode on PostgreSQL sends outbox
 * rows, takes a STOP from a handset and refuses an unsigned webhook; then every metric the shipped
 * Grafana dashboard and PrometheusRule query exists at /observe/metrics, and the log lines written
 * inside the flows carry the correlation ids in their MDC, with phone numbers masked.
 */
class ObservabilityIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NUMBER = "+15005550006";
  private static final String STOPPER = "+14155550104";

  @Test
  void dashboardAndAlertMetricsExistAndFlowLogsCarryTheirIds() throws Exception {
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    Logger classifier = (Logger) LoggerFactory.getLogger(OutcomeClassifier.class);
    Logger inbound = (Logger) LoggerFactory.getLogger(InboundMessageHandler.class);
    Level classifierLevel = classifier.getLevel();
    classifier.setLevel(Level.DEBUG);
    logs.start();
    classifier.addAppender(logs);
    inbound.addAppender(logs);
    try (TestDatabase db = TestDatabase.postgres("observability");
        TestConnector c =
            TestConnector.on(db)
                .property("webhook.process.poll-millis", "200")
                .property("connector.metrics.refresh", "0s")
                .start()) {
      TestHttp http = new TestHttp();
      // Traffic: outbox rows sent (their status callbacks come back signed), a STOP from a
      // handset, and a webhook request without a signature.
      for (int i = 0; i < 5; i++) {
        db.exec(
            "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body)"
                + " VALUES (?, 'sms', ?, ?, 'observability')",
            "obs-" + i,
            "+1415555020" + i,
            NUMBER);
      }
      await()
          .atMost(Duration.ofSeconds(90))
          .untilAsserted(
              () ->
                  assertThat(db.count("SELECT COUNT(*) FROM outbox_message WHERE status = 'SENT'"))
                      .isEqualTo(5));
      HttpResponse<String> stop =
          http.sendJson(
              "POST",
              c.twilio().baseUrl()
                  + "/sandbox/handsets/"
                  + URLEncoder.encode(STOPPER, StandardCharsets.UTF_8)
                  + "/messages",
              JSON.writeValueAsString(Map.of("to", NUMBER, "body", "STOP")));
      assertThat(stop.statusCode()).as(stop.body()).isEqualTo(201);
      HttpResponse<String> unsigned =
          http.send(
              "POST",
              c.baseUrl() + "/webhooks/twilio/message-status",
              "application/x-www-form-urlencoded",
              "MessageSid=SMx&MessageStatus=sent".getBytes(StandardCharsets.UTF_8));
      assertThat(unsigned.statusCode()).isEqualTo(403);
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () ->
                  assertThat(
                          db.count(
                              "SELECT COUNT(*) FROM consent WHERE recipient = ? AND status ="
                                  + " 'OPTED_OUT'",
                              STOPPER))
                      .isEqualTo(1));

      // Every metric name the dashboard and the alerts query is exposed.
      Set<String> queried = new TreeSet<>();
      for (String expr : dashboardExpressions()) {
        queried.addAll(metricNames(expr));
      }
      for (String expr : ruleExpressions()) {
        queried.addAll(metricNames(expr));
      }
      assertThat(queried)
          .as("metrics the dashboard and rules query")
          .contains(
              "twiliocrm_outbox_oldest_seconds",
              "twiliocrm_outbox_results_total",
              "twiliocrm_webhook_rejected_total",
              "twiliocrm_crm_writeback_lag_seconds",
              "crm_events_replay_gap_total",
              "twiliocrm_crm_events_leadership_changes_total");
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                String body =
                    http.send(
                            "GET",
                            c.baseUrl() + "/observe/metrics",
                            null,
                            null,
                            "Authorization",
                            TestOperators.bearer(TestOperators.VIEWER_TOKEN))
                        .body();
                Set<String> exposed = exposedNames(body);
                List<String> missing = new ArrayList<>();
                for (String m : queried) {
                  if (!exposed.contains(m)) {
                    missing.add(m);
                  }
                }
                assertThat(missing).as("queried but not at /observe/metrics").isEmpty();
                assertThat(body).contains("twiliocrm_crm_events_leader 1.0");
                assertThat(body)
                    .containsPattern(
                        "twiliocrm_outbox_results_total\\{[^}]*status=\"SENT\"[^}]*\\} 5\\.0");
              });

      // One port: GET / names health and metrics on the public URL, where they answer.
      JsonNode landing =
          JSON.readTree(
              http.send(
                      "GET",
                      c.baseUrl() + "/",
                      null,
                      null,
                      "Authorization",
                      TestOperators.bearer(TestOperators.VIEWER_TOKEN))
                  .body());
      assertThat(landing.path("health").asText()).isEqualTo(c.baseUrl() + "/observe/health/ready");
      assertThat(landing.has("managementPort")).isFalse();

      // Health: the status only for anonymous callers, every check for an operator.
      String anonymous = http.get(c.baseUrl() + "/observe/health").body();
      assertThat(anonymous).contains("UP").doesNotContain("database").doesNotContain("routes");
      assertThat(http.get(c.baseUrl() + "/observe/health/ready").body()).doesNotContain("database");
      assertThat(http.get(c.baseUrl() + "/observe/health?exposureLevel=full").statusCode())
          .isEqualTo(401);
      HttpResponse<String> detail =
          http.send(
              "GET",
              c.baseUrl() + "/observe/health",
              null,
              null,
              "Authorization",
              TestOperators.bearer(TestOperators.VIEWER_TOKEN));
      assertThat(detail.statusCode()).isEqualTo(200);
      assertThat(detail.body()).contains("database").contains("\"checks\"");

      // The flows' log lines carry their ids, on whichever thread logged them.
      List<ILoggingEvent> sends =
          logs.list.stream()
              .filter(e -> e.getFormattedMessage().startsWith("outbox send: SENT"))
              .toList();
      assertThat(sends).hasSizeGreaterThanOrEqualTo(5);
      Set<String> ids =
          new TreeSet<>(
              db.rows("SELECT id FROM outbox_message").stream().map(r -> r.get(0)).toList());
      for (ILoggingEvent e : sends) {
        Map<String, String> mdc = e.getMDCPropertyMap();
        assertThat(ids).contains(mdc.get("outboxId"));
        assertThat(mdc.get("traceId")).isNotBlank();
        assertThat(mdc.get("camel.routeId")).isEqualTo("outbox-send");
      }
      ILoggingEvent optOut =
          logs.list.stream()
              .filter(e -> e.getFormattedMessage().contains("opted out of"))
              .findFirst()
              .orElseThrow();
      Map<String, String> mdc = optOut.getMDCPropertyMap();
      assertThat(mdc.get("webhookEventId")).matches("\\d+");
      assertThat(mdc.get("sid")).startsWith("SM");
      assertThat(mdc.get("traceId")).isNotBlank();
      assertThat(mdc.get("camel.routeId")).isEqualTo("twilio-webhook-events");
      // The line names the sender number; as written, no phone number is there in full.
      MaskingPatternEncoder encoder = new MaskingPatternEncoder();
      encoder.setContext((LoggerContext) LoggerFactory.getILoggerFactory());
      encoder.setPattern("%msg %X{sid}");
      encoder.start();
      String written = new String(encoder.encode(optOut), StandardCharsets.UTF_8);
      assertThat(optOut.getFormattedMessage()).contains(NUMBER);
      assertThat(written).doesNotContain(NUMBER).doesNotContain("4155550104").contains("0006");
      assertThat(written).contains(mdc.get("sid"));

      // The shipped text format (logback.xml, CONNECTOR_LOG_FORMAT=text) writes the ids a line
      // has after its logger, and nothing for ids it has not.
      try (ShippedTextEncoder shipped = new ShippedTextEncoder()) {
        for (ILoggingEvent e : sends) {
          Map<String, String> ids0 = e.getMDCPropertyMap();
          String line = shipped.encode(e);
          assertThat(line)
              .as(line)
              .containsPattern(
                  "OutcomeClassifier \\[outboxId="
                      + ids0.get("outboxId")
                      + "(?: sid=SM\\w+)? traceId="
                      + Pattern.quote(ids0.get("traceId"))
                      + "\\] - outbox send: SENT")
              .doesNotContain("webhookEventId")
              .doesNotContain("crmRecordId")
              .doesNotContain("camel.");
        }
        String stopLine = shipped.encode(optOut);
        assertThat(stopLine)
            .as(stopLine)
            .contains(
                "InboundMessageHandler [webhookEventId="
                    + mdc.get("webhookEventId")
                    + " sid="
                    + mdc.get("sid")
                    + " traceId="
                    + mdc.get("traceId")
                    + "] - ")
            .doesNotContain("outboxId")
            .doesNotContain(NUMBER)
            .doesNotContain("4155550104");
        ch.qos.logback.classic.spi.LoggingEvent bare =
            new ch.qos.logback.classic.spi.LoggingEvent(
                "x", inbound, Level.INFO, "no ids here", null, null);
        bare.setMDCPropertyMap(Map.of());
        assertThat(shipped.encode(bare)).contains("InboundMessageHandler - no ids here");
      }
    } finally {
      classifier.detachAppender(logs);
      inbound.detachAppender(logs);
      classifier.setLevel(classifierLevel);
    }
  }

  @Test
  void aManagementPortServesHealthAndMetricsAndThePublicPortNoLonger() throws Exception {
    int management = org.twiliocrm.testsupport.FreePort.find();
    // The start-up banner names the port health and metrics are on, not the public URL's 404s.
    ListAppender<ILoggingEvent> banner = new ListAppender<>();
    Logger app = (Logger) LoggerFactory.getLogger(ConnectorApp.class);
    banner.start();
    app.addAppender(banner);
    try (TestDatabase db = TestDatabase.postgres("management");
        TestConnector c =
            TestConnector.on(db)
                .property("outbox.enabled", "false")
                .property("crm.events.enabled", "false")
                .property("connector.management.port", String.valueOf(management))
                .start()) {
      TestHttp http = new TestHttp();
      String mgmt = "http://127.0.0.1:" + management;
      assertThat(banner.list.stream().map(ILoggingEvent::getFormattedMessage))
          .anySatisfy(
              m ->
                  assertThat(m)
                      .contains("Health: " + mgmt + "/observe/health/ready")
                      .contains("(management port " + management + ")"));
      app.detachAppender(banner);
      String viewer = TestOperators.bearer(TestOperators.VIEWER_TOKEN);
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> assertThat(http.get(mgmt + "/observe/health/ready").body()).contains("UP"));
      assertThat(http.get(mgmt + "/observe/health/live").statusCode()).isEqualTo(200);
      assertThat(http.get(mgmt + "/observe/metrics").statusCode()).isEqualTo(401);
      HttpResponse<String> metrics =
          http.send("GET", mgmt + "/observe/metrics", null, null, "Authorization", viewer);
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains("twiliocrm_outbox_backlog");
      // GET / (on the management port only) names health and metrics where they answer, and
      // the webhooks on the public URL, where Twilio reaches them.
      HttpResponse<String> info = http.send("GET", mgmt + "/", null, null, "Authorization", viewer);
      assertThat(info.statusCode()).isEqualTo(200);
      JsonNode landing = JSON.readTree(info.body());
      assertThat(landing.path("health").asText()).isEqualTo(mgmt + "/observe/health/ready");
      assertThat(landing.path("metrics").asText()).isEqualTo(mgmt + "/observe/metrics");
      assertThat(landing.path("managementPort").asInt()).isEqualTo(management);
      assertThat(landing.path("webhooks").path("Message status callback").asText())
          .isEqualTo(c.baseUrl() + "/webhooks/twilio/message-status");
      assertThat(http.get(landing.path("health").asText()).statusCode()).isEqualTo(200);
      // The public port: no health, metrics or info, even with credentials; webhooks as before.
      for (String path :
          List.of("/observe/health", "/observe/health/ready", "/observe/metrics", "/")) {
        assertThat(
                http.send("GET", c.baseUrl() + path, null, null, "Authorization", viewer)
                    .statusCode())
            .as(path)
            .isEqualTo(404);
      }
      assertThat(
              http.send(
                      "POST",
                      c.baseUrl() + "/webhooks/twilio/message-status",
                      "application/x-www-form-urlencoded",
                      "MessageSid=SMx".getBytes(StandardCharsets.UTF_8))
                  .statusCode())
          .isEqualTo(403);
      // ... and the management port serves nothing else.
      assertThat(
              http.send(
                      "POST",
                      mgmt + "/webhooks/twilio/message-status",
                      "application/x-www-form-urlencoded",
                      "MessageSid=SMx".getBytes(StandardCharsets.UTF_8))
                  .statusCode())
          .isEqualTo(404);
      assertThat(
              http.send("GET", mgmt + "/api/approvals", null, null, "Authorization", viewer)
                  .statusCode())
          .isEqualTo(404);
    }
  }

  /**
   * The text appender's encoder exactly as src/main/resources/logback.xml configures it (the tests'
   * own logback-test.xml is what the running connector logs to), in a context of its own.
   */
  private static final class ShippedTextEncoder implements AutoCloseable {
    private final LoggerContext context = new LoggerContext();
    private final ch.qos.logback.core.encoder.Encoder<ILoggingEvent> encoder;

    @SuppressWarnings("unchecked")
    ShippedTextEncoder() throws Exception {
      context.putProperty("CONNECTOR_LOG_FORMAT", "text");
      ch.qos.logback.classic.joran.JoranConfigurator joran =
          new ch.qos.logback.classic.joran.JoranConfigurator();
      joran.setContext(context);
      joran.doConfigure(Path.of("src/main/resources/logback.xml").toFile());
      ch.qos.logback.core.OutputStreamAppender<ILoggingEvent> text =
          (ch.qos.logback.core.OutputStreamAppender<ILoggingEvent>)
              context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("text");
      assertThat(text).as("logback.xml's text appender").isNotNull();
      encoder = text.getEncoder();
    }

    String encode(ILoggingEvent e) {
      return new String(encoder.encode(e), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
      context.stop();
    }
  }

  private static List<String> dashboardExpressions() throws Exception {
    JsonNode d =
        JSON.readTree(Files.readString(Path.of("deploy/monitoring/grafana-dashboard.json")));
    List<String> out = new ArrayList<>();
    for (JsonNode p : d.path("panels")) {
      for (JsonNode t : p.path("targets")) {
        out.add(t.path("expr").asText());
      }
    }
    assertThat(out).hasSizeGreaterThanOrEqualTo(10);
    return out;
  }

  @SuppressWarnings("unchecked")
  private static List<String> ruleExpressions() throws Exception {
    Map<String, Object> doc =
        (Map<String, Object>)
            new Load(LoadSettings.builder().build())
                .loadFromString(
                    Files.readString(Path.of("deploy/monitoring/connector-rules.yaml")));
    List<String> out = new ArrayList<>();
    for (Map<String, Object> g :
        (List<Map<String, Object>>) ((Map<String, Object>) doc.get("spec")).get("groups")) {
      for (Map<String, Object> r : (List<Map<String, Object>>) g.get("rules")) {
        out.add(String.valueOf(r.get("expr")));
      }
    }
    assertThat(out).hasSizeGreaterThanOrEqualTo(8);
    return out;
  }

  private static final Set<String> PROMQL_WORDS =
      Set.of(
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "and",
          "or",
          "unless",
          "bool",
          "offset");

  /**
   * The metric names a PromQL expression reads: identifiers that are no function, keyword or label.
   */
  static Set<String> metricNames(String expr) {
    String e =
        expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"") // strings
            .replaceAll("\\{[^}]*\\}", " ") // label matchers
            .replaceAll("\\[[^]]*\\]", " ") // ranges
            .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
    Set<String> out = new TreeSet<>();
    Matcher m = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*(?!\\s*\\()").matcher(e);
    while (m.find()) {
      String id = m.group();
      int end = m.end();
      // A function name followed by "(" after the lookahead cut it short.
      if (end < e.length() && (Character.isLetterOrDigit(e.charAt(end)) || e.charAt(end) == '_')) {
        continue;
      }
      if (!PROMQL_WORDS.contains(id) && !id.matches("\\d.*") && !id.equals("e")) {
        out.add(id);
      }
    }
    return out;
  }

  /** The sample names in a Prometheus text exposition. */
  private static Set<String> exposedNames(String body) {
    Set<String> out = new TreeSet<>();
    for (String line : body.split("\n")) {
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int end = 0;
      while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
        end++;
      }
      out.add(line.substring(0, end));
    }
    return out;
  }
}
