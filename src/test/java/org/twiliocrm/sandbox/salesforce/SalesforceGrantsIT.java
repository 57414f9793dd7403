package org.twiliocrm.sandbox.salesforce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.camel.component.salesforce.AuthenticationType;
import org.apache.camel.support.jsse.KeyStoreParameters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each OAuth grant camel-salesforce supports, against the sandbox token endpoint. */
class SalesforceGrantsIT {
  private static final String STOREPASS = "changeit";
  @TempDir static Path dir;
  static SalesforceSandbox org;
  static Path trustedKeystore;
  static Path otherKeystore;
  final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    trustedKeystore = keystore("trusted");
    otherKeystore = keystore("other");
    Path cert = dir.resolve("trusted.pem");
    keytool(
        "-exportcert",
        "-rfc",
        "-alias",
        "sf",
        "-keystore",
        trustedKeystore.toString(),
        "-storepass",
        STOREPASS,
        "-file",
        cert.toString());
    org =
        SalesforceSandbox.start(
            SalesforceSandboxFixture.settings(dir.resolve("data"))
                .withJwtCertificate(cert.toString()));
  }

  @AfterAll
  static void stop() {
    org.close();
  }

  /** A fresh RSA key pair with a self-signed certificate, made by the JDK's keytool. */
  private static Path keystore(String name) throws Exception {
    Path ks = dir.resolve(name + ".p12");
    keytool(
        "-genkeypair",
        "-alias",
        "sf",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-dname",
        "CN=" + name,
        "-validity",
        "2",
        "-storetype",
        "PKCS12",
        "-keystore",
        ks.toString(),
        "-storepass",
        STOREPASS,
        "-keypass",
        STOREPASS);
    return ks;
  }

  private static void keytool(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
  }

  private int leadsVia(
      java.util.function.Consumer<org.apache.camel.component.salesforce.SalesforceComponent> login)
      throws Exception {
    try (SalesforceSandboxFixture f = fixture(login)) {
      f.camel.start();
      String out =
          f.request("salesforce:query", null, Map.of("sObjectQuery", "SELECT Id FROM Lead"));
      return json.readTree(out).get("totalSize").asInt();
    }
  }

  private SalesforceSandboxFixture fixture(
      java.util.function.Consumer<org.apache.camel.component.salesforce.SalesforceComponent> login)
      throws Exception {
    // close() of a fixture also closes the org; hand it a view that keeps the shared org running
    return SalesforceSandboxFixture.startShared(org, login);
  }

  @Test
  void passwordGrant() throws Exception {
    assertThat(leadsVia(sf -> SalesforceSandboxFixture.passwordLogin(sf, org.settings())))
        .isEqualTo(3);
  }

  @Test
  void wrongPasswordIsInvalidGrant() {
    assertThatThrownBy(
            () ->
                leadsVia(
                    sf -> {
                      SalesforceSandboxFixture.passwordLogin(sf, org.settings());
                      sf.setPassword("wrong");
                    }))
        .hasStackTraceContaining("invalid_grant");
  }

  @Test
  void refreshTokenGrant() throws Exception {
    assertThat(
            leadsVia(
                sf -> {
                  sf.setAuthenticationType(AuthenticationType.REFRESH_TOKEN);
                  sf.setClientId(org.settings().clientId());
                  sf.setClientSecret(org.settings().clientSecret());
                  sf.setRefreshToken(org.settings().refreshToken());
                }))
        .isEqualTo(3);
    assertThatThrownBy(
            () ->
                leadsVia(
                    sf -> {
                      sf.setAuthenticationType(AuthenticationType.REFRESH_TOKEN);
                      sf.setClientId(org.settings().clientId());
                      sf.setClientSecret(org.settings().clientSecret());
                      sf.setRefreshToken("not-the-refresh-token");
                    }))
        .hasStackTraceContaining("invalid_grant");
  }

  @Test
  void clientCredentialsGrant() throws Exception {
    assertThat(
            leadsVia(
                sf -> {
                  sf.setAuthenticationType(AuthenticationType.CLIENT_CREDENTIALS);
                  sf.setClientId(org.settings().clientId());
                  sf.setClientSecret(org.settings().clientSecret());
                }))
        .isEqualTo(3);
    assertThatThrownBy(
            () ->
                leadsVia(
                    sf -> {
                      sf.setAuthenticationType(AuthenticationType.CLIENT_CREDENTIALS);
                      sf.setClientId(org.settings().clientId());
                      sf.setClientSecret("wrong-secret");
                    }))
        .hasStackTraceContaining("invalid_client");
  }

  private static java.util.function.Consumer<
          org.apache.camel.component.salesforce.SalesforceComponent>
      jwt(Path keystore) {
    return sf -> {
      sf.setAuthenticationType(AuthenticationType.JWT);
      sf.setClientId(org.settings().clientId());
      sf.setUserName(org.settings().username());
      KeyStoreParameters ks = new KeyStoreParameters();
      ks.setResource("file:" + keystore);
      ks.setPassword(STOREPASS);
      ks.setType("PKCS12");
      sf.setKeystore(ks);
    };
  }

  @Test
  void jwtBearerGrantChecksTheSignature() throws Exception {
    assertThat(leadsVia(jwt(trustedKeystore))).isEqualTo(3);
    assertThatThrownBy(() -> leadsVia(jwt(otherKeystore))).hasStackTraceContaining("invalid_grant");
  }

  @Test
  void tokenReplyCarriesWhatCamelReadsAndAVerifiableSignature() throws Exception {
    HttpResponse<String> r =
        token(
            Map.of(
                "grant_type", "password",
                "client_id", org.settings().clientId(),
                "client_secret", org.settings().clientSecret(),
                "username", org.settings().username(),
                "password", org.settings().password()));
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode t = json.readTree(r.body());
    assertThat(t.get("instance_url").asText()).isEqualTo(org.baseUrl());
    assertThat(t.get("token_type").asText()).isEqualTo("Bearer");
    assertThat(t.get("access_token").asText())
        .startsWith(org.settings().orgId().substring(0, 15) + "!");
    String id = t.get("id").asText();
    assertThat(id).matches(".*/id/00D[0-9A-Za-z]{15}/005[0-9A-Za-z]{15}");
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(
        new SecretKeySpec(
            org.settings().clientSecret().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String expected =
        Base64.getEncoder()
            .encodeToString(
                mac.doFinal((id + t.get("issued_at").asText()).getBytes(StandardCharsets.UTF_8)));
    assertThat(t.get("signature").asText()).isEqualTo(expected);

    HttpResponse<String> bad =
        token(
            Map.of(
                "grant_type", "password",
                "client_id", org.settings().clientId(),
                "client_secret", org.settings().clientSecret(),
                "username", org.settings().username(),
                "password", "nope"));
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(json.readTree(bad.body()).get("error").asText()).isEqualTo("invalid_grant");
  }

  private HttpResponse<String> token(Map<String, String> form) throws Exception {
    String body =
        form.entrySet().stream()
            .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
            .collect(Collectors.joining("&"));
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .build()
        .send(
            HttpRequest.newBuilder(URI.create(org.baseUrl() + "/services/oauth2/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }
}
