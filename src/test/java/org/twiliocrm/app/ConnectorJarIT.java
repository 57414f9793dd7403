package org.twiliocrm.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.testsupport.ConnectorProcess;
import org.twiliocrm.testsupport.FreePort;
import org.twiliocrm.testsupport.TestDatabase;

/** The packaged jar as a new user meets it: start, banner, health, metrics, validate, refusals. */
class ConnectorJarIT {
  @TempDir Path work;

  @Test
  void startsInSandboxModeOnEmbeddedDefaultsAndGetsReady() throws Exception {
    int port = FreePort.find();
    int twilioPort = FreePort.find();
    int salesforcePort = FreePort.find();
    Path config = work.resolve("ports.properties");
    Files.writeString(
        config,
        "sandbox.twilio.port=" + twilioPort + "\nsandbox.salesforce.port=" + salesforcePort + "\n");
    try (ConnectorProcess p =
        ConnectorProcess.start(work, Map.of("CONNECTOR_CONFIG_FILE", config.toString()), port)) {
      p.awaitReady(Duration.ofSeconds(90));
      // The banner is logged once start-up completes, which can be a moment after readiness.
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> p.output().contains("MODE: "));
      String out = p.output();
      assertThat(out).contains("MODE: SANDBOX").contains("jdbc:h2:file:./data/connector");
      assertThat(out)
          .contains("Twilio sandbox      http://127.0.0.1:" + twilioPort)
          .contains("Salesforce sandbox  http://127.0.0.1:" + salesforcePort);
      // The sandboxes answer like the services they stand in for.
      HttpResponse<String> unauthorised =
          java.net.http.HttpClient.newBuilder()
              .version(java.net.http.HttpClient.Version.HTTP_1_1)
              .build()
              .send(
                  java.net.http.HttpRequest.newBuilder(
                          java.net.URI.create(
                              "http://127.0.0.1:"
                                  + twilioPort
                                  + "/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages.json"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(unauthorised.statusCode()).isEqualTo(401);
      assertThat(unauthorised.body()).contains("20003");
      assertThat(out).contains("http://localhost:" + port + "/webhooks/twilio/message-status");
      assertThat(Files.exists(work.resolve("data/connector.mv.db"))).isTrue();

      HttpResponse<String> live = p.get("/observe/health/live");
      assertThat(live.statusCode()).isEqualTo(200);
      HttpResponse<String> ready = p.get("/observe/health/ready");
      assertThat(ready.body()).contains("UP");
      HttpResponse<String> metrics = p.get("/observe/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains("camel_");

      HttpResponse<String> info = p.get("/");
      assertThat(info.statusCode()).isEqualTo(200);
      assertThat(info.body()).contains("\"mode\" : \"sandbox\"");
      // platform-http must not echo Camel or request headers back.
      assertThat(info.headers().map().keySet())
          .noneMatch(h -> h.toLowerCase().startsWith("camel"))
          .noneMatch(h -> h.equalsIgnoreCase("user-agent"));
    }
  }

  /**
   * The jar carries what the design uses and not the libraries that came only with components it
   * does not use (issue #15, "lean production jar"). The first test above shows that what stays is
   * enough to start; this one keeps the unused libraries from coming back with a dependency.
   */
  @Test
  void packagedJarLeavesOutLibrariesNothingUses() throws Exception {
    Path jar = Path.of(System.getProperty("connector.jar", "target/twilio-crm-connector.jar"));
    java.util.Set<String> entries = new java.util.HashSet<>();
    String logbackVersion;
    try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(jar.toFile())) {
      zip.stream().forEach(e -> entries.add(e.getName()));
      java.util.Properties pom = new java.util.Properties();
      try (var in =
          zip.getInputStream(
              zip.getEntry("META-INF/maven/ch.qos.logback/logback-core/pom.properties"))) {
        pom.load(in);
      }
      logbackVersion = pom.getProperty("version");
    }
    List<String> unused =
        List.of(
            "io/grpc/",
            "com/google/api/",
            "tech/allegro/",
            "kotlin/",
            "io/vavr/",
            "io/github/resilience4j/circuitbreaker/",
            "org/apache/camel/component/resilience4j/",
            "org/apache/camel/component/jdbc/",
            "org/apache/camel/component/master/");
    // Salesforce Pub/Sub (gRPC), camel-resilience4j with its Kotlin and vavr, unused components.
    assertThat(
            entries.stream()
                .filter(e -> unused.stream().anyMatch(e::startsWith))
                .sorted()
                .limit(10)
                .toList())
        .as("entries of libraries nothing uses")
        .isEmpty();
    assertThat(entries)
        .as("kept: what start-up loads or the shipped routes and examples use")
        .contains(
            // camel-salesforce loads both on every start, Pub/Sub or not.
            "com/google/protobuf/ProtocolMessageEnum.class",
            "org/apache/avro/specific/SpecificRecord.class",
            // The sql: component of the examples, and the Spring JDBC it is built on.
            "org/apache/camel/component/sql/SqlComponent.class",
            "org/springframework/jdbc/core/JdbcTemplate.class",
            // Start-up's database backoff; twilio-java, the one Twilio client.
            "io/github/resilience4j/core/IntervalFunction.class",
            "com/twilio/http/TwilioRestClient.class",
            // twilio: endpoints for engineers' own YAML routes.
            "org/apache/camel/component/twilio/TwilioComponent.class");
    // 1.5.18 had CVE-2025-11226 (fixed in 1.5.19) and CVE-2026-1225 (fixed in 1.5.25).
    int[] v =
        java.util.Arrays.stream(logbackVersion.split("[.-]"))
            .limit(3)
            .mapToInt(Integer::parseInt)
            .toArray();
    assertThat(v[0] * 1_000_000 + v[1] * 1_000 + v[2])
        .as("logback-core " + logbackVersion)
        .isGreaterThanOrEqualTo(1_005_025);
  }

  @Test
  void runsOnPostgresWhenAJdbcUrlIsConfiguredAndHidesCredentials() throws Exception {
    ConnectorConfig.Db db = TestDatabase.postgres("jar").config();
    int port = FreePort.find();
    Map<String, String> env =
        Map.of(
            "CONNECTOR_DB_URL", db.url(),
            "CONNECTOR_DB_USER", db.user(),
            "CONNECTOR_DB_PASSWORD", "not-needed-but-secret");
    try (ConnectorProcess p = ConnectorProcess.start(work, env, port)) {
      p.awaitReady(Duration.ofSeconds(90));
      // The banner is logged once start-up completes, which can be a moment after readiness.
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> p.output().contains("MODE: "));
      assertThat(p.output()).contains("Database: jdbc:postgresql://127.0.0.1:5432/test");
      assertThat(p.output()).doesNotContain("not-needed-but-secret");
    }
  }

  @Test
  void liveModeWithPartialCredentialsRefusesAndNamesTheKey() throws Exception {
    Map<String, String> env =
        Map.of(
            "TWILIO_ACCOUNT_SID", "AC" + "a".repeat(32), "TWILIO_AUTH_TOKEN", "super-secret-token");
    try (ConnectorProcess p = ConnectorProcess.start(work, env, FreePort.find())) {
      assertThat(p.awaitExit(Duration.ofMinutes(3))).isEqualTo(2);
      assertThat(p.output())
          .contains("Configuration error: salesforce.client-id: is required in live mode");
      assertThat(p.output()).doesNotContain("super-secret-token");
    }
  }

  @Test
  void invalidValueStopsStartupNamingTheKey() throws Exception {
    try (ConnectorProcess p =
        ConnectorProcess.start(work, Map.of("CONNECTOR_DB_POOL_SIZE", "lots"), FreePort.find())) {
      assertThat(p.awaitExit(Duration.ofMinutes(3))).isEqualTo(2);
      assertThat(p.output()).contains("connector.db.pool-size: must be a whole number");
    }
  }

  @Test
  void validateCommandPassesShippedRoutesAndFailsABrokenOne() throws Exception {
    Path project = Path.of("").toAbsolutePath();
    try (ConnectorProcess ok =
        ConnectorProcess.start(
            work,
            Map.of(),
            0,
            "validate",
            "--routes",
            project.resolve("routes").toString(),
            "--kamelets",
            project.resolve("kamelets").toString())) {
      assertThat(ok.awaitExit(Duration.ofMinutes(3))).as(ok.output()).isEqualTo(0);
      assertThat(ok.output()).contains("OK: routes in");
    }
    Path broken = project.resolve("src/test/resources/dsl-fixtures/broken-yaml.camel.yaml");
    try (ConnectorProcess bad =
        ConnectorProcess.start(work, Map.of(), 0, "validate", broken.toString())) {
      assertThat(bad.awaitExit(Duration.ofMinutes(3))).isEqualTo(1);
      assertThat(bad.output()).contains("ERROR " + broken + ":7: YAML syntax:");
    }
  }
}
