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
    return new WebhookGate(
        WebhookSettings.from(cfg::get)
            .withAuthTokens(
                java.util.Map.of(
                    org.twiliocrm.sandbox.twilio.TwilioSandboxSettings.DEFAULT_ACCOUNT_SID,
                    org.twiliocrm.sandbox.twilio.TwilioSandboxSettings.DEFAULT_AUTH_TOKEN)),
        metrics);
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
}
