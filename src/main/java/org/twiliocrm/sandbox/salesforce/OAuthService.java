package org.twiliocrm.sandbox.salesforce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The org's OAuth 2.0 token endpoint: password, client_credentials, refresh_token and JWT bearer
 * grants, token revocation, and on-demand expiry of issued access tokens.
 */
final class OAuthService {
  static final String JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

  /** A refused login, rendered as {@code {"error","error_description"}} with HTTP 400. */
  static final class OAuthError extends RuntimeException {
    final String error;

    OAuthError(String error, String description) {
      super(description, null, false, false);
      this.error = error;
    }

    Map<String, Object> body() {
      return Map.of("error", error, "error_description", getMessage());
    }
  }

  private final SalesforceSandboxSettings settings;
  private final String userId;
  private final Clock clock;
  private final ObjectMapper json = new ObjectMapper();
  private final SecureRandom random = new SecureRandom();
  private final PublicKey jwtKey;
  private final Set<String> validTokens = ConcurrentHashMap.newKeySet();
  private final Set<String> revokedRefreshTokens = ConcurrentHashMap.newKeySet();
  private final AtomicLong logins = new AtomicLong();

  OAuthService(SalesforceSandboxSettings settings, String userId, Clock clock) {
    this(settings, userId, clock, publicKeyOf(loadCertificate(settings.jwtCertificate())));
  }

  /** With the key that verifies JWT bearer assertions given directly (null = grant refused). */
  OAuthService(SalesforceSandboxSettings settings, String userId, Clock clock, PublicKey jwtKey) {
    this.settings = settings;
    this.userId = userId;
    this.clock = clock;
    this.jwtKey = jwtKey;
  }

  private static PublicKey publicKeyOf(X509Certificate cert) {
    return cert == null ? null : cert.getPublicKey();
  }

  private static X509Certificate loadCertificate(String path) {
    if (path == null || path.isBlank()) {
      return null;
    }
    try (InputStream in = Files.newInputStream(Path.of(path))) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(
          SalesforceSandboxSettings.PREFIX
              + "jwt-certificate: cannot read an X.509 certificate from '"
              + path
              + "': "
              + e.getMessage(),
          e);
    }
  }

  /** Handles POST /services/oauth2/token; {@code baseUrl} becomes instance_url. */
  Map<String, Object> token(Map<String, String> form, String baseUrl) {
    String grant = form.getOrDefault("grant_type", "");
    switch (grant) {
      case "password" -> {
        checkClient(form, true);
        String password = form.getOrDefault("password", "");
        boolean ok =
            equal(settings.username(), form.getOrDefault("username", ""))
                && (equal(settings.password(), password)
                    || equal(settings.password() + settings.securityToken(), password));
        if (!ok) {
          throw new OAuthError("invalid_grant", "authentication failure");
        }
      }
      case "client_credentials" -> checkClient(form, true);
      case "refresh_token" -> {
        checkClient(form, false);
        String rt = form.getOrDefault("refresh_token", "");
        if (!equal(settings.refreshToken(), rt) || revokedRefreshTokens.contains(rt)) {
          throw new OAuthError("invalid_grant", "expired access/refresh token");
        }
      }
      case JWT_GRANT -> verifyJwt(form.getOrDefault("assertion", ""), baseUrl);
      default -> throw new OAuthError("unsupported_grant_type", "grant type not supported");
    }
    logins.incrementAndGet();
    return issue(baseUrl);
  }

  /**
   * The SOAP partner API's {@code login(username, password)}, as jsforce sends it by default:
   * returns the session id (a token the REST API accepts) or throws when the credentials are wrong.
   */
  Map<String, Object> soapLogin(String username, String password, String baseUrl) {
    boolean ok =
        equal(settings.username(), nullToEmpty(username))
            && (equal(settings.password(), nullToEmpty(password))
                || equal(settings.password() + settings.securityToken(), nullToEmpty(password)));
    if (!ok) {
      throw new OAuthError(
          "INVALID_LOGIN", "Invalid username, password, security token; or user locked out.");
    }
    logins.incrementAndGet();
    return issue(baseUrl);
  }

  /** The identity service's answer for the integration user (GET the token's {@code id} URL). */
  Map<String, Object> identity(String baseUrl) {
    Map<String, Object> urls = new LinkedHashMap<>();
    for (String k :
        new String[] {"enterprise", "metadata", "partner", "rest", "sobjects", "search", "query"}) {
      String path =
          switch (k) {
            case "enterprise" -> "/services/Soap/c/{version}/" + settings.orgId();
            case "metadata" -> "/services/Soap/m/{version}/" + settings.orgId();
            case "partner" -> "/services/Soap/u/{version}/" + settings.orgId();
            case "rest" -> "/services/data/v{version}/";
            default -> "/services/data/v{version}/" + k + "/";
          };
      urls.put(k, baseUrl + path);
    }
    urls.put("profile", baseUrl + "/" + userId);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", baseUrl + "/id/" + settings.orgId() + "/" + userId);
    out.put("asserted_user", true);
    out.put("user_id", userId);
    out.put("organization_id", settings.orgId());
    out.put("username", settings.username());
    out.put("nick_name", settings.username().split("@")[0]);
    out.put("display_name", "Integration User");
    out.put("email", settings.username());
    out.put("email_verified", true);
    out.put("first_name", "Integration");
    out.put("last_name", "User");
    out.put("timezone", "GMT");
    out.put("active", true);
    out.put("user_type", "STANDARD");
    out.put("language", "en_US");
    out.put("locale", "en_US");
    out.put("utcOffset", 0);
    out.put("urls", urls);
    out.put("is_app_installed", true);
    out.put("last_modified_date", "2026-01-01T00:00:00.000+0000");
    return out;
  }

  /** OpenID Connect userinfo ({@code /services/oauth2/userinfo}). */
  Map<String, Object> userInfo(String baseUrl) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("sub", baseUrl + "/id/" + settings.orgId() + "/" + userId);
    out.put("user_id", userId);
    out.put("organization_id", settings.orgId());
    out.put("preferred_username", settings.username());
    out.put("nickname", settings.username().split("@")[0]);
    out.put("name", "Integration User");
    out.put("email", settings.username());
    out.put("email_verified", true);
    out.put("given_name", "Integration");
    out.put("family_name", "User");
    out.put("zoneinfo", "GMT");
    out.put("locale", "en_US");
    out.put("user_type", "STANDARD");
    out.put("active", true);
    return out;
  }

  String orgId() {
    return settings.orgId();
  }

  String userId() {
    return userId;
  }

  String username() {
    return settings.username();
  }

  private void checkClient(Map<String, String> form, boolean secretRequired) {
    if (!equal(settings.clientId(), form.getOrDefault("client_id", ""))) {
      throw new OAuthError("invalid_client_id", "client identifier invalid");
    }
    String secret = form.get("client_secret");
    if ((secretRequired || secret != null)
        && !equal(settings.clientSecret(), nullToEmpty(secret))) {
      throw new OAuthError("invalid_client", "invalid client credentials");
    }
  }

  private void verifyJwt(String assertion, String baseUrl) {
    if (jwtKey == null) {
      throw new OAuthError("invalid_grant", "invalid assertion");
    }
    String[] parts = assertion.split("\\.");
    if (parts.length != 3) {
      throw new OAuthError("invalid_grant", "invalid assertion");
    }
    try {
      Base64.Decoder dec = Base64.getUrlDecoder();
      JsonNode header = json.readTree(dec.decode(parts[0]));
      if (!"RS256".equals(header.path("alg").asText())) {
        throw new OAuthError("invalid_grant", "invalid assertion");
      }
      Signature sig = Signature.getInstance("SHA256withRSA");
      sig.initVerify(jwtKey);
      sig.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
      if (!sig.verify(dec.decode(parts[2]))) {
        throw new OAuthError("invalid_grant", "invalid assertion");
      }
      JsonNode claims = json.readTree(dec.decode(parts[1]));
      if (!equal(settings.clientId(), claims.path("iss").asText())) {
        throw new OAuthError("invalid_client_id", "client identifier invalid");
      }
      if (!equal(settings.username(), claims.path("sub").asText())) {
        throw new OAuthError("invalid_grant", "user hasn't approved this consumer");
      }
      String aud = claims.path("aud").asText();
      List<String> audiences =
          settings.jwtAudience().isBlank()
              ? List.of(baseUrl, "https://login.salesforce.com", "https://test.salesforce.com")
              : List.of(settings.jwtAudience());
      if (!audiences.contains(aud)) {
        throw new OAuthError("invalid_grant", "audience is invalid");
      }
      // Camel sends exp as a JSON string; the JWT spec says number. Accept both.
      long exp = Long.parseLong(claims.path("exp").asText("0"));
      if (exp * 1000 < clock.millis()) {
        throw new OAuthError("invalid_grant", "expired authorization code");
      }
    } catch (IOException | IllegalArgumentException | GeneralSecurityException e) {
      throw new OAuthError("invalid_grant", "invalid assertion");
    }
  }

  private Map<String, Object> issue(String baseUrl) {
    byte[] raw = new byte[48];
    random.nextBytes(raw);
    String token =
        settings.orgId().substring(0, 15)
            + "!"
            + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    validTokens.add(token);
    String issuedAt = Long.toString(clock.millis());
    String id = baseUrl + "/id/" + settings.orgId() + "/" + userId;
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("access_token", token);
    out.put("instance_url", baseUrl);
    out.put("id", id);
    out.put("token_type", "Bearer");
    out.put("issued_at", issuedAt);
    out.put("signature", hmac(id + issuedAt));
    out.put("scope", "api");
    return out;
  }

  private String hmac(String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(
          new SecretKeySpec(
              settings.clientSecret().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return Base64.getEncoder().encodeToString(mac.doFinal(data.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Revokes an access or refresh token; false when the token is unknown. */
  boolean revoke(String token) {
    if (token == null) {
      return false;
    }
    if (validTokens.remove(token)) {
      return true;
    }
    if (equal(settings.refreshToken(), token)) {
      revokedRefreshTokens.add(token);
      return true;
    }
    return false;
  }

  /** Accepts "Bearer x" and "OAuth x" authorization header values. */
  boolean isValidAuthorization(String header) {
    if (header == null) {
      return false;
    }
    int space = header.indexOf(' ');
    String token = space < 0 ? header : header.substring(space + 1).trim();
    return validTokens.contains(token);
  }

  /** Expires every issued access token (the refresh token stays usable). */
  int expireAll() {
    int n = validTokens.size();
    validTokens.clear();
    return n;
  }

  void reset() {
    validTokens.clear();
    revokedRefreshTokens.clear();
    logins.set(0);
  }

  long logins() {
    return logins.get();
  }

  int activeTokens() {
    return validTokens.size();
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }

  /** Constant-time comparison, so the emulator does not teach timing-leaky habits. */
  private static boolean equal(String expected, String actual) {
    return MessageDigest.isEqual(
        expected.getBytes(StandardCharsets.UTF_8), actual.getBytes(StandardCharsets.UTF_8));
  }
}
