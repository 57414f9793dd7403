package org.twiliocrm.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.twiliocrm.crm.events.SendRules;
import org.twiliocrm.testsupport.FreePort;
import org.twiliocrm.testsupport.TestConnector;

/**
 * Dev mode as an integration engineer uses it: the connector runs on a copy of the shipped tree
 * (routes/ and rules/); a route file and the rules are edited while it runs; the change takes
 * effect; a broken edit is reported with file:line and the last good version keeps serving.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DevReloadIT {
  @TempDir static Path tree;
  static ConnectorApp app;
  static Path hello;
  static Path rules;
  static Path billing;
  static Path policy;
  static int port;
  static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() throws Exception {
    Path routes = Files.createDirectories(tree.resolve("routes"));
    try (Stream<Path> s = Files.list(Path.of("routes"))) {
      for (Path p : s.toList()) {
        Files.copy(p, routes.resolve(p.getFileName()));
      }
    }
    hello = routes.resolve("hello.camel.yaml");
    Files.writeString(hello, helloRoute("hello v1"));
    rules = Files.createDirectories(tree.resolve("rules")).resolve("crm-send-rules.yaml");
    Files.copy(Path.of("rules/crm-send-rules.yaml"), rules);
    // templates/ and governance/ as an engineer edits them; their own reload intervals are an
    // hour here, so only dev mode's watcher can make an edit take effect during the test.
    Path templates = Files.createDirectories(tree.resolve("templates"));
    try (Stream<Path> s = Files.list(Path.of("templates"))) {
      for (Path t : s.toList()) {
        Files.copy(t, templates.resolve(t.getFileName()));
      }
    }
    billing = templates.resolve("billing.yaml");
    policy = Files.createDirectories(tree.resolve("governance")).resolve("policies.yaml");
    Files.copy(Path.of("governance/policies.yaml"), policy);
    port = FreePort.find();
    app =
        TestConnector.on("jdbc:h2:mem:dev-reload-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1", null)
            .port(port)
            .property("connector.dev", "true")
            .property("connector.routes.location", routes.toString())
            .property("crm.events.rules-location", rules.toString())
            .property("crm.events.enabled", "false")
            .property("outbox.templates.location", templates.toString())
            .property("templates.reload-interval", "1h")
            .property("governance.policies.location", policy.toString())
            .property("governance.reload-interval", "1h")
            .property(
                "sandbox.salesforce.data-dir",
                Files.createDirectories(tree.resolve("sf")).toString())
            // A route the engineer adds is an operator path: admin only, deny by default (the
            // test operators, TestConnector's).
            .start()
            .app();
    await().atMost(Duration.ofSeconds(60)).until(() -> app.reloader() != null);
  }

  @AfterAll
  static void stop() {
    if (app != null) {
      app.stop();
    }
  }

  static String helloRoute(String text) {
    return """
        - route:
            id: hello
            from:
              uri: platform-http:/hello
              steps:
                - removeHeaders:
                    pattern: "*"
                - setBody:
                    constant: "%s"
        """
        .formatted(text);
  }

  static String get(String path) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header(
                    "Authorization",
                    org.twiliocrm.testsupport.TestOperators.bearer(
                        org.twiliocrm.testsupport.TestOperators.ADMIN_TOKEN))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return r.statusCode() + " " + r.body();
  }

  @Test
  @Order(1)
  void anEditedRouteTakesEffectWithoutARestart() throws Exception {
    assertThat(get("/hello")).isEqualTo("200 hello v1");
    long applied = app.reloader().appliedCount();
    long t0 = System.nanoTime();
    Files.writeString(hello, helloRoute("hello v2"));
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> get("/hello").equals("200 hello v2"));
    System.out.printf("route edit live after %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    assertThat(app.reloader().appliedCount()).isGreaterThan(applied);
    assertThat(app.reloader().lastProblems()).isEmpty();
  }

  @Test
  @Order(2)
  void brokenYamlIsReportedWithFileAndLineAndTheLastGoodVersionKeepsRunning() throws Exception {
    Files.writeString(
        hello,
        """
        - route:
            id: hello
            from:
              uri: platform-http:/hello
              steps:
                - setBody:
                    constant: "hello v3"
                 - log: "misindented"
        """);
    await().atMost(Duration.ofSeconds(30)).until(() -> !app.reloader().lastProblems().isEmpty());
    assertThat(app.reloader().lastProblems())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.file()).isEqualTo(hello.toAbsolutePath().normalize());
              assertThat(f.line()).isEqualTo(8);
              assertThat(f.problem()).startsWith("YAML syntax");
            });
    assertThat(get("/hello")).isEqualTo("200 hello v2");
  }

  @Test
  @Order(3)
  void aRouteCamelCannotBuildIsPutBackAsItWas() throws Exception {
    Files.writeString(hello, helloRoute("hello v2") + "        - to: \"nosuchcomponent:x\"\n");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                app.reloader().lastProblems().stream()
                    .anyMatch(f -> f.problem().contains("nosuchcomponent")));
    assertThat(app.reloader().lastProblems().get(0).line()).isEqualTo(2);
    assertThat(get("/hello")).isEqualTo("200 hello v2");
    // and a good edit after a bad one applies again
    Files.writeString(hello, helloRoute("hello v4"));
    await().atMost(Duration.ofSeconds(30)).until(() -> get("/hello").equals("200 hello v4"));
    assertThat(app.reloader().lastProblems()).isEmpty();
  }

  @Test
  @Order(4)
  void editedRulesAreTakenOverAndBrokenOnesAreNot() throws Exception {
    SendRules live =
        app.camelContext().getRegistry().lookupByNameAndType("crmSendRules", SendRules.class);
    String text = Files.readString(rules, StandardCharsets.UTF_8);
    assertThat(text).contains("Your case {{CaseNumber}} has been closed.");
    Files.writeString(
        rules,
        text.replace("Your case {{CaseNumber}} has been closed.", "Case {{CaseNumber}} is done."));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> live.rules().get(0).body().startsWith("Case {{CaseNumber}} is done."));

    String broken = Files.readString(rules).replace("channel: sms", "channel: fax");
    Files.writeString(rules, broken);
    await().atMost(Duration.ofSeconds(30)).until(() -> !app.reloader().lastProblems().isEmpty());
    int line = broken.lines().toList().indexOf("      channel: fax") + 1;
    assertThat(app.reloader().lastProblems())
        .anySatisfy(
            f -> {
              assertThat(f.file()).isEqualTo(rules.toAbsolutePath().normalize());
              assertThat(f.line()).isEqualTo(line);
              assertThat(f.problem()).contains("channel");
            });
    assertThat(live.rules().get(0).channel()).isEqualTo("sms");
    assertThat(live.rules().get(0).body()).startsWith("Case {{CaseNumber}} is done.");
  }

  @Test
  @Order(5)
  void anEditedTemplateIsReloadedAtOnceAndABrokenOneIsNot() throws Exception {
    var approvals =
        app.camelContext()
            .getRegistry()
            .lookupByNameAndType(
                "templateApprovals", org.twiliocrm.governance.templates.TemplateApprovals.class);
    var catalog =
        app.camelContext()
            .getRegistry()
            .lookupByNameAndType("messageTemplates", org.twiliocrm.outbound.Templates.class);
    int versions = approvals.versions("payment-due").size();
    String text = Files.readString(billing, StandardCharsets.UTF_8);
    assertThat(text).contains("Hi {{name}}, a payment of {{amount}} is due on {{date}}.");
    long t0 = System.nanoTime();
    Files.writeString(
        billing,
        text.replace(
            "Hi {{name}}, a payment of {{amount}} is due on {{date}}.",
            "Hello {{name}}, {{amount}} is due on {{date}}."));
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> approvals.versions("payment-due").size() > versions);
    System.out.printf("template edit recorded after %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    await().atMost(Duration.ofSeconds(30)).until(() -> app.reloader().lastProblems().isEmpty());

    String broken = Files.readString(billing).replace("purpose: transactional", "purpose: promo");
    Files.writeString(billing, broken);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                app.reloader().lastProblems().stream()
                    .anyMatch(f -> f.file().toString().endsWith("billing.yaml")));
    int line = broken.lines().toList().indexOf("    purpose: promo") + 1;
    assertThat(app.reloader().lastProblems())
        .anySatisfy(
            f -> {
              assertThat(f.file().toString()).endsWith("billing.yaml");
              assertThat(f.line()).isEqualTo(line);
              assertThat(f.problem()).contains("promo");
            });
    // the last good templates stay in force
    assertThat(catalog.find("payment-due")).isPresent();
  }

  @Test
  @Order(6)
  void anEditedPolicyIsReloadedAtOnceAndABrokenOneIsNot() throws Exception {
    var policies =
        app.camelContext()
            .getRegistry()
            .lookupByNameAndType("governancePolicies", org.twiliocrm.governance.Policies.class);
    assertThat(policies.current().rules().get(0).bulk().moreThan()).isEqualTo(100);
    String text = Files.readString(policy, StandardCharsets.UTF_8);
    long t0 = System.nanoTime();
    Files.writeString(policy, text.replace("more-than: 100", "more-than: 50"));
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () ->
                !policies.current().rules().isEmpty()
                    && policies.current().rules().get(0).bulk().moreThan() == 50);
    System.out.printf("policy edit in force after %d ms%n", (System.nanoTime() - t0) / 1_000_000);

    String broken =
        Files.readString(policy)
            .replace(
                "      bulk: { by: campaign, more-than: 50, window: 1h }",
                "      bulk: { by: campaign, more-than: 50, window: 1h }\n      channel: [fax]");
    assertThat(broken).contains("channel: [fax]");
    Files.writeString(policy, broken);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                app.reloader().lastProblems().stream()
                    .anyMatch(f -> f.file().toString().endsWith("policies.yaml")));
    int line = broken.lines().toList().indexOf("      channel: [fax]") + 1;
    assertThat(app.reloader().lastProblems())
        .anySatisfy(
            f -> {
              assertThat(f.file().toString()).endsWith("policies.yaml");
              assertThat(f.line()).isEqualTo(line);
              assertThat(f.problem()).contains("fax");
            });
    assertThat(policies.current().rules().get(0).bulk().moreThan()).isEqualTo(50);
  }
}
