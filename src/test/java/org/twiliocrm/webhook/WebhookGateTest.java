package org.twiliocrm.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.twiliocrm.twilio.TwilioSignature;

/** The gate without HTTP: status codes, dedupe keys and the URL it checks. */
class WebhookGateTest {
  private static final String TOKEN = "sandbox-auth-token";
  private static final String ACCOUNT = "AC00000000000000000000000000000000";
  private final CamelContext ctx = new DefaultCamelContext();
  private final WebhookMetrics metrics = new WebhookMetrics();

  @AfterEach
  void close() throws Exception {
    ctx.close();
  }

  private WebhookGate gate(Map<String, String> cfg) {
    return new WebhookGate(WebhookSettings.from(cfg::get, true), metrics);
  }

  private Exchange request(String uri, Map<String, String> form, String signature) {
    Exchange e = new DefaultExchange(ctx);
    e.getMessage().setHeader(Exchange.HTTP_URI, uri);
    e.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/x-www-form-urlencoded");
    if (signature != null) {
      e.getMessage().setHeader("X-Twilio-Signature", signature);
    }
    e.getMessage().setBody(new TreeMap<>(form));
    return e;
  }

  private static Map<String, String> status(String sid, String status) {
    return Map.of("AccountSid", ACCOUNT, "MessageSid", sid, "MessageStatus", status);
  }

  @Test
  void acceptsASignedCallbackAndBuildsTheDedupeKey() {
    Map<String, String> f = status("SM1", "Delivered");
    String sig =
        new TwilioSignature(TOKEN).signSingle("https://hooks.example.com/webhooks/x?a=1", f);
    Exchange e = request("/webhooks/x?a=1", f, sig);
    gate(Map.of("connector.public-url", "https://hooks.example.com")).check(e, "message-status");
    assertThat(e.getProperty(WebhookGate.STATUS)).isEqualTo(200);
    WebhookEvent ev = e.getProperty(WebhookGate.EVENT, WebhookEvent.class);
    assertThat(ev.dedupeKey()).isEqualTo("ms:SM1:delivered");
    assertThat(ev.payload()).contains("MessageSid=SM1");
  }

  @Test
  void theQueryIsPartOfTheSignedUrl() {
    Map<String, String> f = status("SM1", "sent");
    String sig = new TwilioSignature(TOKEN).signSingle("https://hooks.example.com/webhooks/x", f);
    Exchange e = request("/webhooks/x?a=1", f, sig);
    gate(Map.of("connector.public-url", "https://hooks.example.com")).check(e, "message-status");
    assertThat(e.getProperty(WebhookGate.STATUS)).isEqualTo(403);
    assertThat(e.getProperty(WebhookGate.EVENT)).isNull();
  }

  @Test
  void forwardedHeadersCountOnlyWhenTrusted() {
    Map<String, String> f = status("SM2", "sent");
    String sig = new TwilioSignature(TOKEN).signSingle("https://proxy.example.com/w", f);
    Map<String, String> base = Map.of("connector.public-url", "http://localhost:8080");
    Exchange untrusted = request("/w", f, sig);
    untrusted.getMessage().setHeader("X-Forwarded-Proto", "https");
    untrusted.getMessage().setHeader("X-Forwarded-Host", "proxy.example.com");
    gate(base).check(untrusted, "message-status");
    assertThat(untrusted.getProperty(WebhookGate.STATUS)).isEqualTo(403);

    Exchange trusted = request("/w", f, sig);
    trusted.getMessage().setHeader("X-Forwarded-Proto", "https");
    trusted.getMessage().setHeader("X-Forwarded-Host", "proxy.example.com");
    gate(Map.of(
            "connector.public-url", "http://localhost:8080",
            "connector.http.trust-forwarded-headers", "true"))
        .check(trusted, "message-status");
    assertThat(trusted.getProperty(WebhookGate.STATUS)).isEqualTo(200);
  }

  @Test
  void missingRequiredFieldsAre400AfterTheSignature() {
    Map<String, String> f = Map.of("AccountSid", ACCOUNT, "MessageStatus", "sent");
    String sig = new TwilioSignature(TOKEN).signSingle("http://localhost:8080/w", f);
    Exchange e = request("/w", f, sig);
    gate(Map.of()).check(e, "message-status");
    assertThat(e.getProperty(WebhookGate.STATUS)).isEqualTo(400);
  }

  @Test
  void contentLengthOverTheLimitIs413() {
    Exchange e = request("/w", status("SM3", "sent"), "x");
    e.getMessage().setHeader("Content-Length", "999999");
    gate(Map.of()).check(e, "message-status");
    assertThat(e.getProperty(WebhookGate.STATUS)).isEqualTo(413);
  }

  @Test
  void repeatedFormFieldsAreSignedAsLists() {
    Map<String, List<String>> f = new TreeMap<>();
    f.put("AccountSid", List.of(ACCOUNT));
    f.put("MessageSid", List.of("SM4"));
    f.put("From", List.of("+1"));
    f.put("To", List.of("+2"));
    f.put("MediaUrl", List.of("https://a", "https://b"));
    String sig = new TwilioSignature(TOKEN).sign("http://localhost:8080/in", f);
    Exchange e = new DefaultExchange(ctx);
    e.getMessage().setHeader(Exchange.HTTP_URI, "/in");
    e.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/x-www-form-urlencoded");
    e.getMessage().setHeader("X-Twilio-Signature", sig);
    Map<String, Object> body = new TreeMap<>(f);
    e.getMessage().setBody(body);
    gate(Map.of()).check(e, "inbound");
    assertThat(e.getProperty(WebhookGate.STATUS)).isEqualTo(200);
    assertThat(e.getProperty(WebhookGate.EVENT, WebhookEvent.class).dedupeKey())
        .isEqualTo("in:SM4");
  }

  private static final String HOOK = "https://hooks.example.com/webhooks/twilio/message-status";

  private Exchange signedAt(String signedUrl, Map<String, String> f, TwilioSignature s) {
    return request("/webhooks/twilio/message-status", f, s.signSingle(signedUrl, f));
  }

  private int check(Map<String, String> cfg, Exchange e) {
    gate(cfg).check(e, "message-status");
    return e.getProperty(WebhookGate.STATUS, Integer.class);
  }

  @Test
  void eitherTokenOfARotationIsAccepted() {
    Map<String, String> cfg =
        Map.of(
            "connector.public-url", "https://hooks.example.com",
            "twilio.account-sid", ACCOUNT,
            "twilio.auth-token", "old-token",
            "twilio.secondary-auth-token", "new-token");
    Map<String, String> f = status("SMrot", "sent");
    assertThat(check(cfg, signedAt(HOOK, f, new TwilioSignature("new-token")))).isEqualTo(200);
    assertThat(check(cfg, signedAt(HOOK, f, new TwilioSignature("old-token")))).isEqualTo(200);
    // negative: a third token, and another account's token
    assertThat(check(cfg, signedAt(HOOK, f, new TwilioSignature("third-token")))).isEqualTo(403);
  }

  @Test
  void theSameAccountTwiceInAuthTokensMeansBothSign() {
    Map<String, String> cfg =
        Map.of(
            "connector.public-url",
            "https://hooks.example.com",
            "webhook.auth-tokens",
            "AC11111111111111111111111111111111:one,AC11111111111111111111111111111111:two");
    Map<String, String> f =
        Map.of(
            "AccountSid",
            "AC11111111111111111111111111111111",
            "MessageSid",
            "SM9",
            "MessageStatus",
            "sent");
    assertThat(check(cfg, signedAt(HOOK, f, new TwilioSignature("one")))).isEqualTo(200);
    assertThat(check(cfg, signedAt(HOOK, f, new TwilioSignature("two")))).isEqualTo(200);
    assertThat(check(cfg, signedAt(HOOK, f, new TwilioSignature(TOKEN)))).isEqualTo(403);
  }

  @Test
  void urlsAreAcceptedWithAndWithoutTheConnectionOverrides() {
    Map<String, String> cfg = Map.of("connector.public-url", "https://hooks.example.com");
    TwilioSignature s = new TwilioSignature(TOKEN);
    Map<String, String> f = status("SMfrag", "sent");
    assertThat(check(cfg, signedAt(HOOK, f, s))).isEqualTo(200);
    assertThat(check(cfg, signedAt(HOOK + "#rc=3&rp=all", f, s))).isEqualTo(200);
    // negative: a fragment other than the configured overrides
    assertThat(check(cfg, signedAt(HOOK + "#rc=5&rp=all", f, s))).isEqualTo(403);
    // with overrides turned off only the plain URL is accepted
    Map<String, String> off =
        Map.of(
            "connector.public-url",
            "https://hooks.example.com",
            "webhook.connection-overrides",
            "none");
    assertThat(check(off, signedAt(HOOK + "#rc=3&rp=all", f, s))).isEqualTo(403);
    assertThat(check(off, signedAt(HOOK, f, s))).isEqualTo(200);
  }

  private Exchange keyed(String header, String secret, Map<String, String> f) {
    Exchange e =
        signedAt(HOOK, f, new TwilioSignature(secret, TwilioSignature.Algorithm.HMAC_SHA256));
    if (header != null) {
      e.getMessage().setHeader(TwilioSignature.SETTINGS_HEADER, header);
    }
    return e;
  }

  @Test
  void sharedKeyModeIsCheckedWithTheNamedKeyOnly() {
    Map<String, String> cfg =
        Map.of(
            "connector.public-url", "https://hooks.example.com",
            "webhook.signing-keys", "KSone:key-secret-1,KStwo:key-secret-2");
    Map<String, String> f = status("SMkey", "sent");
    assertThat(check(cfg, keyed("key=KSone,algorithm=HMAC_SHA256", "key-secret-1", f)))
        .isEqualTo(200);
    assertThat(check(cfg, keyed("key=KStwo,algorithm=HMAC_SHA256", "key-secret-2", f)))
        .isEqualTo(200);
    // negative: signed with the other key than the header names
    Exchange wrong = keyed("key=KSone,algorithm=HMAC_SHA256", "key-secret-2", f);
    assertThat(check(cfg, wrong)).isEqualTo(403);
    assertThat(wrong.getProperty(WebhookGate.REASON)).isEqualTo("bad-signature");
    // no header: an HMAC-SHA256 signature is not an auth-token signature
    assertThat(check(cfg, keyed(null, "key-secret-1", f))).isEqualTo(403);
  }

  @Test
  void unknownKeyOrAlgorithmIsRefusedNeverCheckedWithTheAuthToken() {
    Map<String, String> cfg =
        Map.of(
            "connector.public-url", "https://hooks.example.com",
            "webhook.signing-keys", "KSone:key-secret-1");
    Map<String, String> f = status("SMunk", "sent");
    // signed validly with the auth token, but the header steers to a key we do not have
    Exchange unknownKey = signedAt(HOOK, f, new TwilioSignature(TOKEN));
    unknownKey
        .getMessage()
        .setHeader(TwilioSignature.SETTINGS_HEADER, "key=KSzzz,algorithm=HMAC_SHA256");
    assertThat(check(cfg, unknownKey)).isEqualTo(403);
    assertThat(unknownKey.getProperty(WebhookGate.REASON)).isEqualTo("unknown-key");
    Exchange sha1 = signedAt(HOOK, f, new TwilioSignature(TOKEN));
    sha1.getMessage().setHeader(TwilioSignature.SETTINGS_HEADER, "key=KSone,algorithm=HMAC_SHA1");
    assertThat(check(cfg, sha1)).isEqualTo(403);
    assertThat(sha1.getProperty(WebhookGate.REASON)).isEqualTo("unknown-algorithm");
    Exchange md5 = keyed("key=KSone,algorithm=HMAC_MD5", "key-secret-1", f);
    assertThat(check(cfg, md5)).isEqualTo(403);
    assertThat(md5.getProperty(WebhookGate.REASON)).isEqualTo("unknown-algorithm");
  }

  @Test
  void multipartIsRefusedWith415() {
    Exchange e = request("/webhooks/twilio/message-status", status("SMmp", "sent"), "x");
    e.getMessage().setHeader(Exchange.CONTENT_TYPE, "multipart/form-data; boundary=x");
    assertThat(check(Map.of(), e)).isEqualTo(415);
  }
}
