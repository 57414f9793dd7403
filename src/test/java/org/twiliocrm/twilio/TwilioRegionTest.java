package org.twiliocrm.twilio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.type.PhoneNumber;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.twiliocrm.webhook.WebhookGate;
import org.twiliocrm.webhook.WebhookMetrics;
import org.twiliocrm.webhook.WebhookSettings;

/**
 * twilio.region / twilio.edge / twilio.region-auth-tokens: the host twilio-java calls, the
 * credentials it sends, the callback URLs and the webhook check per region.
 */
class TwilioRegionTest {
  private static final String ACCOUNT = "AC00000000000000000000000000000000";
  private static final String US_TOKEN = "us-token";
  private static final String IE_TOKEN = "ie1-token";

  @Test
  void hostsAreBuiltAsTwilioJavaBuildsThemAndReadBack() {
    assertThat(new TwilioRegion(null, null).host("api")).isEqualTo("api.twilio.com");
    assertThat(new TwilioRegion("ie1", null).host("api")).isEqualTo("api.ie1.twilio.com");
    assertThat(new TwilioRegion("ie1", "dublin").host("api"))
        .isEqualTo("api.dublin.ie1.twilio.com");
    // An edge alone goes to us1, as twilio-java does.
    assertThat(new TwilioRegion(null, "ashburn").host("verify"))
        .isEqualTo("verify.ashburn.us1.twilio.com");

    assertThat(TwilioRegion.ofHost("api.dublin.ie1.twilio.com:8089"))
        .isEqualTo(new TwilioRegion("ie1", "dublin"));
    assertThat(TwilioRegion.ofHost("api.au1.twilio.com")).isEqualTo(new TwilioRegion("au1", null));
    assertThat(TwilioRegion.ofHost("api.twilio.com").effectiveRegion()).isEqualTo("us1");
    assertThat(TwilioRegion.ofHost("127.0.0.1:8089").effectiveRegion()).isEqualTo("us1");
    assertThat(TwilioRegion.ofHost(null).effectiveRegion()).isEqualTo("us1");
  }

  @Test
  void badNamesAreRefusedWithTheKey() {
    assertThatThrownBy(() -> new TwilioRegion("ireland", null))
        .hasMessageStartingWith("twilio.region:");
    assertThatThrownBy(() -> new TwilioRegion("ie1", "dub lin"))
        .hasMessageStartingWith("twilio.edge:");
    assertThatThrownBy(() -> TwilioRegion.tokens("twilio.region-auth-tokens", "ie1"))
        .hasMessageStartingWith("twilio.region-auth-tokens:")
        .hasMessageNotContaining("ie1:");
    assertThatThrownBy(() -> TwilioRegion.tokens("k", "ie1:a,ie1:b")).hasMessageContaining("twice");
    assertThatThrownBy(() -> TwilioRegion.tokens("k", "dublin:a"))
        .hasMessageContaining("not a Twilio Region");
    assertThat(TwilioRegion.tokens("k", "ie1:a, au1:b")).containsEntry("ie1", "a").hasSize(2);
  }

  @Test
  void callbackUrlsNameTheRegionBeforeTheFragment() {
    TwilioRegion ie1 = new TwilioRegion("ie1", "dublin");
    assertThat(ie1.callbackUrl("https://h/webhooks/twilio/message-status"))
        .isEqualTo("https://h/webhooks/twilio/message-status?region=ie1");
    assertThat(ie1.callbackUrl("https://h/w?a=1#rc=3"))
        .isEqualTo("https://h/w?a=1&region=ie1#rc=3");
    assertThat(new TwilioRegion(null, "dublin").callbackUrl("https://h/w"))
        .isEqualTo("https://h/w");
  }

  @Test
  void theClientCallsTheRegionalHostWithTheRegionalToken() throws Exception {
    // A real socket: the factory's route planner sends the request here; the Host header and the
    // credentials are what real Twilio would get.
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    CopyOnWriteArrayList<String[]> seen = new CopyOnWriteArrayList<>();
    server.createContext(
        "/",
        x -> {
          seen.add(
              new String[] {
                x.getRequestHeaders().getFirst("Host"),
                x.getRequestHeaders().getFirst("Authorization")
              });
          byte[] body =
              ("{\"sid\":\"SM00000000000000000000000000000001\",\"status\":\"queued\"}")
                  .getBytes(StandardCharsets.UTF_8);
          x.getResponseHeaders().add("Content-Type", "application/json");
          x.sendResponseHeaders(201, body.length);
          x.getResponseBody().write(body);
          x.close();
        });
    server.start();
    try {
      Map<String, String> cfg = new HashMap<>();
      cfg.put("twilio.base-url", "http://127.0.0.1:" + server.getAddress().getPort());
      cfg.put("twilio.account-sid", ACCOUNT);
      cfg.put("twilio.auth-token", US_TOKEN);
      cfg.put("twilio.region", "ie1");
      cfg.put("twilio.edge", "dublin");
      cfg.put("twilio.region-auth-tokens", "ie1:" + IE_TOKEN + ",au1:au1-token");
      TwilioClientSettings ts = TwilioClientSettings.from(cfg::get);
      assertThat(ts.toString()).doesNotContain(IE_TOKEN).contains("ie1 (edge dublin)");
      try (TwilioClientFactory f = new TwilioClientFactory(ts)) {
        Message.creator(new PhoneNumber("+14155550100"), new PhoneNumber("+15005550006"), "hi")
            .create(f.create());
      }
      assertThat(seen).hasSize(1);
      assertThat(seen.get(0)[0]).startsWith("api.dublin.ie1.twilio.com");
      assertThat(seen.get(0)[1])
          .isEqualTo(
              "Basic "
                  + Base64.getEncoder()
                      .encodeToString((ACCOUNT + ":" + IE_TOKEN).getBytes(StandardCharsets.UTF_8)));

      // Without the region: the default host and the account's own token.
      cfg.remove("twilio.region");
      cfg.remove("twilio.edge");
      try (TwilioClientFactory f = new TwilioClientFactory(TwilioClientSettings.from(cfg::get))) {
        Message.creator(new PhoneNumber("+14155550100"), new PhoneNumber("+15005550006"), "hi")
            .create(f.create());
      }
      assertThat(seen.get(1)[0]).startsWith("api.twilio.com");
      assertThat(seen.get(1)[1])
          .isEqualTo(
              "Basic "
                  + Base64.getEncoder()
                      .encodeToString((ACCOUNT + ":" + US_TOKEN).getBytes(StandardCharsets.UTF_8)));
    } finally {
      server.stop(0);
    }
  }

  @Test
  void theWebhookIsCheckedWithTheTokenOfItsRegion() throws Exception {
    Map<String, String> cfg = new HashMap<>();
    cfg.put("connector.public-url", "https://hooks.example.com");
    cfg.put("twilio.account-sid", ACCOUNT);
    cfg.put("twilio.auth-token", US_TOKEN);
    cfg.put("twilio.region", "ie1");
    cfg.put("twilio.region-auth-tokens", "ie1:" + IE_TOKEN);
    try (CamelContext ctx = new DefaultCamelContext()) {
      WebhookGate gate = new WebhookGate(WebhookSettings.from(cfg::get), new WebhookMetrics());
      Map<String, String> form =
          Map.of("AccountSid", ACCOUNT, "MessageSid", "SM1", "MessageStatus", "delivered");
      String path = "/webhooks/twilio/message-status?region=ie1";
      String url = "https://hooks.example.com" + path;

      Exchange ok = request(ctx, path, form, new TwilioSignature(IE_TOKEN).signSingle(url, form));
      gate.check(ok, "message-status");
      assertThat(ok.getProperty(WebhookGate.STATUS)).isEqualTo(200);

      Exchange us = request(ctx, path, form, new TwilioSignature(US_TOKEN).signSingle(url, form));
      gate.check(us, "message-status");
      assertThat(us.getProperty(WebhookGate.STATUS)).isEqualTo(403);
      assertThat(us.getProperty(WebhookGate.REASON)).isEqualTo("bad-signature");

      // No ?region=: twilio.region's token.
      String bare = "/webhooks/twilio/message-status";
      Exchange noParam =
          request(
              ctx,
              bare,
              form,
              new TwilioSignature(IE_TOKEN).signSingle("https://hooks.example.com" + bare, form));
      gate.check(noParam, "message-status");
      assertThat(noParam.getProperty(WebhookGate.STATUS)).isEqualTo(200);

      // ?region=us1 is the account's own token; an unconfigured region is refused by name.
      String us1 = "/webhooks/twilio/message-status?region=us1";
      Exchange usOk =
          request(
              ctx,
              us1,
              form,
              new TwilioSignature(US_TOKEN).signSingle("https://hooks.example.com" + us1, form));
      gate.check(usOk, "message-status");
      assertThat(usOk.getProperty(WebhookGate.STATUS)).isEqualTo(200);

      String jp = "/webhooks/twilio/message-status?region=jp1";
      Exchange unknown =
          request(
              ctx,
              jp,
              form,
              new TwilioSignature(IE_TOKEN).signSingle("https://hooks.example.com" + jp, form));
      gate.check(unknown, "message-status");
      assertThat(unknown.getProperty(WebhookGate.STATUS)).isEqualTo(403);
      assertThat(unknown.getProperty(WebhookGate.REASON)).isEqualTo("unknown-region");

      // The regional token belongs to twilio.account-sid only.
      Map<String, String> other =
          Map.of(
              "AccountSid",
              "AC11111111111111111111111111111111",
              "MessageSid",
              "SM2",
              "MessageStatus",
              "delivered");
      Exchange stranger =
          request(ctx, path, other, new TwilioSignature(IE_TOKEN).signSingle(url, other));
      gate.check(stranger, "message-status");
      assertThat(stranger.getProperty(WebhookGate.STATUS)).isEqualTo(403);
    }
  }

  private static Exchange request(
      CamelContext ctx, String uri, Map<String, String> form, String signature) {
    Exchange e = new DefaultExchange(ctx);
    e.getMessage().setHeader(Exchange.HTTP_URI, uri);
    e.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/x-www-form-urlencoded");
    e.getMessage().setHeader("X-Twilio-Signature", signature);
    e.getMessage().setBody(new TreeMap<>(form));
    return e;
  }
}
