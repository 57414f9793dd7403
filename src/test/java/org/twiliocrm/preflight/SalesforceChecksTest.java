package org.twiliocrm.preflight;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.twiliocrm.crm.metadata.SalesforcePackage;

/**
 * Bad input: an org whose describe, Tooling and limits answers have unexpected shapes gives failed
 * checks that say so, never an exception; the token never appears in the results.
 */
class SalesforceChecksTest {
  private HttpServer server;
  private String base;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/services/oauth2/token",
        ex -> {
          String host = "http://127.0.0.1:" + server.getAddress().getPort();
          reply(
              ex,
              200,
              "{\"access_token\":\"tok-SECRET-123456\",\"instance_url\":\""
                  + host
                  + "\",\"id\":\""
                  + host
                  + "/id/00D000000000001AAA/005000000000001AAA\",\"token_type\":\"Bearer\","
                  + "\"issued_at\":\"1\",\"signature\":\"x\"}");
        });
    server.createContext(
        "/services/data/",
        ex -> {
          String path = ex.getRequestURI().getPath();
          if (path.endsWith("/Contact/describe")) {
            reply(ex, 200, "{\"fields\": \"not a list\"}");
          } else if (path.endsWith("/describe")) {
            reply(ex, 200, "[1, 2, 3]");
          } else if (path.contains("/tooling/")) {
            reply(ex, 200, "{\"totalSize\": 1}");
          } else if (path.endsWith("/limits")) {
            reply(ex, 200, "<html>maintenance</html>");
          } else {
            reply(ex, 404, "[]");
          }
        });
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private static void reply(com.sun.net.httpserver.HttpExchange ex, int status, String body)
      throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }

  private SalesforceChecks checks(String loginUrl) {
    return new SalesforceChecks(
        Map.of(
            "camel.component.salesforce.loginUrl", loginUrl,
            "camel.component.salesforce.authenticationType", "USERNAME_PASSWORD",
            "camel.component.salesforce.clientId", "cid",
            "camel.component.salesforce.clientSecret", "csecret",
            "camel.component.salesforce.userName", "u@example.com",
            "camel.component.salesforce.password", "pw"),
        SalesforcePackage.bundled(),
        Set.of("Case"),
        10);
  }

  @Test
  void unexpectedShapesAreFailedChecksNotExceptions() {
    List<Check> out = checks(base).run();
    assertThat(out.get(0).status()).isEqualTo(Check.Status.PASS);
    assertThat(out)
        .anySatisfy(
            c -> {
              assertThat(c.name()).isEqualTo("object Contact");
              assertThat(c.status()).isEqualTo(Check.Status.FAIL);
              assertThat(c.detail()).contains("unexpected describe answer: no 'fields' array");
            })
        .anySatisfy(
            c -> {
              assertThat(c.name()).isEqualTo("object Twilio_Message__c");
              assertThat(c.status()).isEqualTo(Check.Status.FAIL);
            })
        .anySatisfy(
            c -> {
              assertThat(c.name()).isEqualTo("Change Data Capture");
              assertThat(c.detail()).contains("no 'records' array");
            })
        .anySatisfy(
            c -> {
              assertThat(c.name()).isEqualTo("API limits");
              assertThat(c.detail()).contains("not JSON");
            });
    assertThat(out).allSatisfy(c -> assertThat(c.detail()).doesNotContain("tok-SECRET-123456"));
  }

  @Test
  void anUnreachableLoginUrlIsOneFailedCheckWithTheError() {
    server.stop(0);
    List<Check> out = checks(base).run();
    assertThat(out.get(0).status()).isEqualTo(Check.Status.FAIL);
    assertThat(out.get(0).detail()).startsWith("login at " + base + " failed: ");
    assertThat(out.get(0).fix()).contains("salesforce.login-url");
    assertThat(out.get(1).status()).isEqualTo(Check.Status.SKIP);
  }

  @Test
  void theReportMasksSecretsWhateverMessageCarriesThem() {
    PreflightReport r =
        new PreflightReport(
            List.of(Check.fail("Salesforce", "login", "refused pw-s3cret-long", "fix")),
            Set.of("pw-s3cret-long"));
    assertThat(r.render()).doesNotContain("pw-s3cret-long").contains("refused ****");
    assertThat(r.exitCode()).isEqualTo(1);
  }
}
