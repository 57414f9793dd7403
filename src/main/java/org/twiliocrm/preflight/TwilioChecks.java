package org.twiliocrm.preflight;

import com.twilio.base.ResourceSet;
import com.twilio.exception.ApiException;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.account.IncomingPhoneNumber;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.type.PhoneNumber;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.twiliocrm.config.Redaction;

/**
 * The Twilio side of preflight, through the connector's own twilio-java client: credentials,
 * senders owned with the capabilities their channel needs, their inbound webhook, the public URL,
 * and connection overrides on the status callback.
 */
public final class TwilioChecks {
  static final String AREA = "Twilio";
  static final String INBOUND_PATH = "/webhooks/twilio/inbound";

  private final TwilioRestClient client;
  private final String accountSid;
  private final List<String> senders;
  private final String channel;
  private final String publicUrl;
  private final String statusCallbackUrl;
  private final boolean live;

  /**
   * @param senders configured From numbers ({@code crm.events.sender}); may be empty
   * @param channel the channel those senders serve (sms, mms, whatsapp, voice)
   * @param live live mode: the public URL rules are required, not recommended
   */
  public TwilioChecks(
      TwilioRestClient client,
      String accountSid,
      List<String> senders,
      String channel,
      String publicUrl,
      String statusCallbackUrl,
      boolean live) {
    this.client = client;
    this.accountSid = accountSid;
    this.senders = senders;
    this.channel = channel;
    this.publicUrl = publicUrl.replaceAll("/+$", "");
    this.statusCallbackUrl = statusCallbackUrl;
    this.live = live;
  }

  public List<Check> run() {
    List<Check> out = new ArrayList<>();
    String credentials = "credentials of " + accountSid;
    try {
      ResourceSet<Message> page = Message.reader().limit(1).read(client);
      page.iterator().hasNext();
      out.add(Check.pass(AREA, credentials, "accepted"));
    } catch (RuntimeException e) {
      out.add(
          Check.fail(
              AREA,
              credentials,
              e instanceof ApiException a
                  ? "refused: HTTP "
                      + a.getStatusCode()
                      + " / "
                      + a.getCode()
                      + " "
                      + a.getMessage()
                  : "Twilio not reachable: " + Check.error(e),
              "set twilio.account-sid with twilio.auth-token (or twilio.api-key and"
                  + " twilio.api-secret) of that account: Twilio Console > Account > API keys"));
      out.add(Check.skip(AREA, "senders and webhooks", "not checked: credentials refused"));
      out.addAll(publicUrl());
      return out;
    }
    if (senders.isEmpty()) {
      out.add(
          Check.skip(
              AREA, "senders", "none configured (crm.events.sender); outbox rows name their own"));
    }
    for (String sender : senders) {
      out.addAll(sender(sender));
    }
    out.addAll(publicUrl());
    return out;
  }

  private List<Check> sender(String sender) {
    List<Check> out = new ArrayList<>();
    String masked = Redaction.phone(sender);
    String name = "sender " + masked;
    if (sender.startsWith("MG")) {
      out.add(Check.skip(AREA, name, "a messaging service: check its sender pool in the Console"));
      return out;
    }
    String bare = sender.startsWith("whatsapp:") ? sender.substring("whatsapp:".length()) : sender;
    IncomingPhoneNumber number;
    try {
      ResourceSet<IncomingPhoneNumber> found =
          IncomingPhoneNumber.reader().setPhoneNumber(new PhoneNumber(bare)).limit(1).read(client);
      var it = found.iterator();
      number = it.hasNext() ? it.next() : null;
    } catch (RuntimeException e) {
      out.add(
          Check.fail(
              AREA,
              name,
              "could not list the account's numbers: " + Check.error(e),
              "check that the credentials may read IncomingPhoneNumbers (a Main API key, or the"
                  + " auth token)"));
      return out;
    }
    if (number == null) {
      out.add(
          Check.fail(
              AREA,
              name,
              "not owned by account " + accountSid,
              "set crm.events.sender to a number of this account (Console > Phone Numbers >"
                  + " Active numbers), or buy or port that number into it"));
      return out;
    }
    var caps = number.getCapabilities();
    boolean capable =
        caps == null
            || switch (channel.toLowerCase(Locale.ROOT)) {
              case "mms" -> Boolean.TRUE.equals(caps.getMms());
              case "voice" -> Boolean.TRUE.equals(caps.getVoice());
              case "whatsapp" -> true; // WhatsApp senders are registered separately
              default -> Boolean.TRUE.equals(caps.getSms());
            };
    out.add(
        capable
            ? Check.pass(AREA, name, "owned (" + number.getSid() + "), " + channel + " capable")
            : Check.fail(
                AREA,
                name,
                "owned but not " + channel + " capable",
                "use a number with " + channel + " capability for crm.events.sender"));
    String expected = publicUrl + INBOUND_PATH;
    String actual = number.getSmsUrl() == null ? "" : number.getSmsUrl().toString();
    String hook = "webhook of " + masked;
    if (expected.equals(actual)) {
      out.add(Check.pass(AREA, hook, "'A message comes in' -> " + expected));
    } else {
      out.add(
          Check.fail(
              AREA,
              hook,
              "'A message comes in' is '" + actual + "', not this connector's " + expected,
              "Console > Phone Numbers > "
                  + masked
                  + " > Messaging: set 'A message comes in' to "
                  + expected
                  + " (HTTP POST); or twilio api:core:incoming-phone-numbers:update --sid "
                  + number.getSid()
                  + " --sms-url "
                  + expected));
    }
    return out;
  }

  private List<Check> publicUrl() {
    List<Check> out = new ArrayList<>();
    URI uri;
    try {
      uri = URI.create(publicUrl);
    } catch (IllegalArgumentException e) {
      out.add(
          Check.fail(
              AREA,
              "public URL",
              "not a URL: " + publicUrl,
              "set connector.public-url to https://your.host"));
      return out;
    }
    String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
    boolean local =
        host.isEmpty()
            || host.equals("localhost")
            || host.startsWith("127.")
            || host.equals("0.0.0.0")
            || host.equals("[::1]")
            || host.endsWith(".local");
    boolean https = "https".equals(uri.getScheme());
    if (https && !local) {
      out.add(Check.pass(AREA, "public URL", publicUrl + " (https, not local)"));
    } else {
      out.add(
          Check.failInLive(
              live,
              AREA,
              "public URL",
              publicUrl
                  + (local ? ": local, Twilio cannot reach it" : "")
                  + (https ? "" : (local ? "; " : ": ") + "not https"),
              "set connector.public-url to the https address Twilio reaches this connector at"
                  + " (ingress or load balancer)"));
    }
    out.add(reachable());
    boolean overrides =
        statusCallbackUrl.contains("#")
            && statusCallbackUrl
                .substring(statusCallbackUrl.indexOf('#'))
                .matches(".*\\b(rc|ct|rt|rp)=.*");
    out.add(
        overrides
            ? Check.pass(AREA, "status callback overrides", "connection overrides present")
            : Check.warnInLive(
                live,
                AREA,
                "status callback overrides",
                statusCallbackUrl
                    + " carries no connection overrides: Twilio does not retry a"
                    + " status callback that fails with a 5xx",
                "set outbox.status-callback-url to "
                    + publicUrl
                    + "/webhooks/twilio/message-status#rc=3&rp=all&ct=2000&rt=5000"
                    + " (Twilio's 'Webhooks connection overrides')"));
    return out;
  }

  private Check reachable() {
    String url = publicUrl + "/observe/health/live";
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpResponse<Void> r =
          http.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
              HttpResponse.BodyHandlers.discarding());
      return r.statusCode() < 500
          ? Check.pass(AREA, "public URL reachable", "GET " + url + " -> " + r.statusCode())
          : Check.warnInLive(
              live,
              AREA,
              "public URL reachable",
              "GET " + url + " -> " + r.statusCode(),
              "check the ingress routes to the connector");
    } catch (Exception e) {
      // Not required: as an init container, preflight runs before the connector listens.
      return Check.warnInLive(
          live,
          AREA,
          "public URL reachable",
          "GET " + url + " failed: " + Check.error(e),
          "if the connector is running, check DNS, TLS and the ingress for " + publicUrl);
    }
  }
}
