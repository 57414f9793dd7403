package org.twiliocrm.sandbox.salesforce;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class OAuthServiceTest {
  private static final String BASE = "http://127.0.0.1:8091";
  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  private static final SalesforceSandboxSettings S = SalesforceSandboxSettings.defaults();
  private static KeyPair trusted;
  private static KeyPair other;
  private final OAuthService oauth =
      new OAuthService(
          S, "005000000000001AAA", Clock.fixed(NOW, ZoneOffset.UTC), trusted.getPublic());

  @BeforeAll
  static void keys() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    trusted = g.generateKeyPair();
    other = g.generateKeyPair();
  }

  /** Builds an assertion the way camel-salesforce does (padded base64url, exp as a string). */
  private static String assertion(PrivateKey key, String iss, String sub, String aud, long exp)
      throws Exception {
    Base64.Encoder enc = Base64.getUrlEncoder();
    String header = enc.encodeToString("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8));
    String claims =
        enc.encodeToString(
            ("{\"iss\":\""
                    + iss
                    + "\",\"sub\":\""
                    + sub
                    + "\",\"aud\":\""
                    + aud
                    + "\",\"exp\":\""
                    + exp
                    + "\"}")
                .getBytes(StandardCharsets.UTF_8));
    Signature sig = Signature.getInstance("SHA256withRSA");
    sig.initSign(key);
    sig.update((header + "." + claims).getBytes(StandardCharsets.UTF_8));
    return header + "." + claims + "." + enc.encodeToString(sig.sign());
  }

  private Map<String, Object> jwt(String assertion) {
    return oauth.token(Map.of("grant_type", OAuthService.JWT_GRANT, "assertion", assertion), BASE);
  }

  private static String error(Runnable r) {
    try {
      r.run();
      return "none";
    } catch (OAuthService.OAuthError e) {
      return e.error;
    }
  }

  @Test
  void jwtBearerAcceptsAValidAssertionAndRejectsEachBrokenPart() throws Exception {
    long exp = NOW.getEpochSecond() + 270;
    assertThat(jwt(assertion(trusted.getPrivate(), S.clientId(), S.username(), BASE, exp)))
        .containsKeys("access_token", "instance_url", "id", "token_type", "issued_at", "signature");
    assertThat(error(() -> jwtUnchecked(other.getPrivate(), S.clientId(), S.username(), BASE, exp)))
        .isEqualTo("invalid_grant");
    assertThat(
            error(
                () ->
                    jwtUnchecked(
                        trusted.getPrivate(),
                        S.clientId(),
                        S.username(),
                        BASE,
                        NOW.getEpochSecond() - 1)))
        .isEqualTo("invalid_grant");
    assertThat(
            error(
                () ->
                    jwtUnchecked(
                        trusted.getPrivate(),
                        S.clientId(),
                        S.username(),
                        "https://evil.example",
                        exp)))
        .isEqualTo("invalid_grant");
    assertThat(
            error(
                () -> jwtUnchecked(trusted.getPrivate(), S.clientId(), "someone@else", BASE, exp)))
        .isEqualTo("invalid_grant");
    assertThat(
            error(() -> jwtUnchecked(trusted.getPrivate(), "other-app", S.username(), BASE, exp)))
        .isEqualTo("invalid_client_id");
    assertThat(error(() -> jwt("not.a.jwt"))).isEqualTo("invalid_grant");
    assertThat(
            error(
                () ->
                    jwtUnchecked(
                        trusted.getPrivate(),
                        S.clientId(),
                        S.username(),
                        "https://login.salesforce.com",
                        exp)))
        .isEqualTo("none");
  }

  private void jwtUnchecked(PrivateKey key, String iss, String sub, String aud, long exp) {
    try {
      jwt(assertion(key, iss, sub, aud, exp));
    } catch (OAuthService.OAuthError e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void passwordMayCarryTheSecurityToken() {
    Map<String, String> form =
        new HashMap<>(
            Map.of(
                "grant_type",
                "password",
                "client_id",
                S.clientId(),
                "client_secret",
                S.clientSecret(),
                "username",
                S.username(),
                "password",
                S.password()));
    assertThat(oauth.token(form, BASE)).containsKey("access_token");
    form.put("client_id", "nope");
    assertThat(error(() -> oauth.token(form, BASE))).isEqualTo("invalid_client_id");
    form.put("client_id", S.clientId());
    form.put("grant_type", "authorization_code");
    assertThat(error(() -> oauth.token(form, BASE))).isEqualTo("unsupported_grant_type");
  }

  @Test
  void tokensWorkUntilExpiredOrRevoked() {
    Map<String, String> form =
        Map.of(
            "grant_type",
            "client_credentials",
            "client_id",
            S.clientId(),
            "client_secret",
            S.clientSecret());
    String a = (String) oauth.token(form, BASE).get("access_token");
    String b = (String) oauth.token(form, BASE).get("access_token");
    assertThat(oauth.isValidAuthorization("Bearer " + a)).isTrue();
    assertThat(oauth.isValidAuthorization("OAuth " + b)).isTrue();
    assertThat(oauth.revoke(a)).isTrue();
    assertThat(oauth.isValidAuthorization("Bearer " + a)).isFalse();
    assertThat(oauth.isValidAuthorization("Bearer " + b)).isTrue();
    assertThat(oauth.expireAll()).isEqualTo(1);
    assertThat(oauth.isValidAuthorization("Bearer " + b)).isFalse();
    assertThat(oauth.revoke("unknown")).isFalse();
  }

  @Test
  void refreshTokenStopsWorkingOnceRevoked() {
    Map<String, String> form =
        Map.of(
            "grant_type",
            "refresh_token",
            "client_id",
            S.clientId(),
            "refresh_token",
            S.refreshToken());
    assertThat(oauth.token(form, BASE)).containsKey("access_token");
    assertThat(oauth.revoke(S.refreshToken())).isTrue();
    assertThat(error(() -> oauth.token(form, BASE))).isEqualTo("invalid_grant");
  }
}
