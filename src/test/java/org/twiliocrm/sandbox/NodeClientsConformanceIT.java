package org.twiliocrm.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twiliocrm.testsupport.ConnectorProcess;
import org.twiliocrm.testsupport.FreePort;
import org.twiliocrm.testsupport.TestHttp;

/**
 * {@code java -jar ... sandbox} as a team would run it, checked with clients from another
 * ecosystem: the Node suite in conformance/ (twilio-node and jsforce from the npm registry, node's
 * own test runner) runs against it and must pass. Then the state directory is shown to keep
 * messages and records across a restart.
 *
 * <p>Node is required: without it this test fails (it never skips); .ci/run installs it.
 */
class NodeClientsConformanceIT {
  private static final HttpClient HTTP = TestHttp.client();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ACCOUNT = "AC00000000000000000000000000000000";
  private static final String TOKEN = "sandbox-auth-token";

  @TempDir Path work;

  private ConnectorProcess startSandbox(int twilioPort, int sfPort, Path state) throws Exception {
    ConnectorProcess p = launch(twilioPort, sfPort, state);
    try {
      awaitReady(p);
    } catch (RuntimeException e) {
      p.close();
      throw new AssertionError(e.getMessage() + "; sandbox output:\n" + p.output(), e);
    }
    return p;
  }

  private static void awaitReady(ConnectorProcess p) {
    await()
        .atMost(Duration.ofMinutes(4))
        .pollInterval(Duration.ofMillis(100))
        .failFast("sandbox exited early", () -> !p.isAlive())
        .until(() -> p.output().contains("Sandbox ready."));
  }

  private ConnectorProcess launch(int twilioPort, int sfPort, Path state) throws Exception {
    ConnectorProcess p =
        ConnectorProcess.start(
            work,
            Map.of(),
            FreePort.find(),
            "sandbox",
            "--twilio-port",
            String.valueOf(twilioPort),
            "--salesforce-port",
            String.valueOf(sfPort),
            "--state-dir",
            state.toString());
    return p;
  }

  @Test
  void officialNodeClientsPassTheSuiteAndStateSurvivesARestart() throws Exception {
    Path conformance = Path.of("conformance").toAbsolutePath();
    assertThat(conformance.resolve("package-lock.json")).exists();
    String node = run(conformance, Map.of(), 30, "node", "--version");
    assertThat(node).as("node --version").startsWith("v");

    if (!Files.isDirectory(conformance.resolve("node_modules"))) {
      run(conformance, Map.of(), 600, "npm", "ci", "--no-audit", "--no-fund");
    }
    int twilioPort = FreePort.find();
    int sfPort = FreePort.find();
    Path state = work.resolve("state");
    String twilio = "http://127.0.0.1:" + twilioPort;
    String salesforce = "http://127.0.0.1:" + sfPort;
    String sid;
    String contactId;
    try (ConnectorProcess sandbox = startSandbox(twilioPort, sfPort, state)) {
      String out =
          run(
              conformance,
              Map.of("SANDBOX_TWILIO_URL", twilio, "SANDBOX_SALESFORCE_URL", salesforce),
              600,
              "node",
              "--test");
      // The runner's summary: a suite that ran nothing must not pass.
      assertThat(out).contains("# fail 0");
      int tests = Integer.parseInt(out.replaceAll("(?s).*\\n# tests (\\d+)\\n.*", "$1").trim());
      assertThat(tests).as("node tests run").isGreaterThanOrEqualTo(20);

      sid = createMessage(twilio);
      contactId = createContact(salesforce);
    }
    try (ConnectorProcess again = startSandbox(twilioPort, sfPort, state)) {
      HttpResponse<String> m =
          HTTP.send(
              HttpRequest.newBuilder(
                      URI.create(
                          twilio
                              + "/2010-04-01/Accounts/"
                              + ACCOUNT
                              + "/Messages/"
                              + sid
                              + ".json"))
                  .header("Authorization", basic())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(m.statusCode()).as(m.body()).isEqualTo(200);
      assertThat(m.body()).contains("kept across restarts");
      List<Map<String, Object>> contacts =
          JSON.readValue(
              get(salesforce + "/sandbox/records?object=Contact"), new TypeReference<>() {});
      assertThat(contacts)
          .anySatisfy(
              c -> assertThat(c).containsEntry("Id", contactId).containsEntry("LastName", "Kept"));
    }
  }

  private static String basic() {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((ACCOUNT + ":" + TOKEN).getBytes(StandardCharsets.UTF_8));
  }

  private static String get(String url) throws IOException, InterruptedException {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static String createMessage(String twilio) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(twilio + "/2010-04-01/Accounts/" + ACCOUNT + "/Messages.json"))
                .header("Authorization", basic())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "To=%2B14155553001&From=%2B15005550006&Body="
                            + URLEncoder.encode("kept across restarts", StandardCharsets.UTF_8)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return (String) JSON.readValue(r.body(), Map.class).get("sid");
  }

  private static String createContact(String salesforce) throws Exception {
    HttpResponse<String> t =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(salesforce + "/services/oauth2/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "grant_type=password&client_id=sandbox-client-id"
                            + "&client_secret=sandbox-client-secret"
                            + "&username=integration%40twiliocrm.sandbox&password=sandbox-password"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    String token = (String) JSON.readValue(t.body(), Map.class).get("access_token");
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(salesforce + "/services/data/v62.0/sobjects/Contact"))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"LastName\":\"Kept\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return (String) JSON.readValue(r.body(), Map.class).get("id");
  }

  /** Runs a command; fails with its output (and how to get Node) unless it exits 0. */
  private static String run(Path dir, Map<String, String> env, int timeoutSeconds, String... cmd)
      throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().putAll(env);
    Path log = Files.createTempFile("node-conformance", ".log");
    pb.redirectOutput(log.toFile());
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new AssertionError(
          cmd[0]
              + " is not installed: run .ci/run (it installs Node.js) or `apt-get install -y"
              + " nodejs npm`. The Node conformance suite never skips.",
          e);
    }
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(
          String.join(" ", cmd)
              + " did not finish in "
              + timeoutSeconds
              + " s:\n"
              + Files.readString(log));
    }
    String out = Files.readString(log);
    Files.deleteIfExists(log);
    if (p.exitValue() != 0) {
      throw new AssertionError(
          String.join(" ", cmd) + " failed (exit " + p.exitValue() + "):\n" + out);
    }
    return out;
  }
}
