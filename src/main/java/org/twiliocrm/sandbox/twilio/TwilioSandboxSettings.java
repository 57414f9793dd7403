package org.twiliocrm.sandbox.twilio;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.twiliocrm.config.Settings;

/**
 * Typed settings of the Twilio sandbox (section {@code sandbox.twilio} of application.properties).
 *
 * @param host interface to bind
 * @param port port to bind, 0 = any free port
 * @param eventLoops Vert.x event-loop threads, 0 = two per core
 * @param accounts account SID -> auth token
 * @param apiKeys API key SID -> (secret, account SID)
 * @param numbers the phone numbers (E.164) and short codes the sandbox's account owns; a From
 *     outside them is refused as Twilio refuses it (21606); the first sends for Messaging Services
 * @param messagingServices the Messaging Service SIDs the account owns; any other is 21701
 * @param inboundWebhookUrl where handset messages to a sandbox number are posted (empty = nowhere)
 * @param validateRequests check each API request against Twilio's OpenAPI description
 * @param validateResponses check each JSON response against the OpenAPI response schema and record
 *     violations (see /sandbox/validation)
 * @param openApiDir directory holding twilio_api_v2010.json and twilio_verify_v2.json; empty = look
 *     use the copy packaged in the jar
 * @param stepMillis delay between lifecycle steps (queued -> sending -> sent -> delivered)
 * @param realisticPacing pace each sender at Twilio's rates (long code, toll-free, short code)
 *     instead of {@code defaultMps}
 * @param defaultMps messages per second per sender when pacing is not realistic
 * @param longCodeMps US long code rate
 * @param tollFreeMps toll-free rate
 * @param shortCodeMps short code rate
 * @param whatsAppMps WhatsApp sender rate
 * @param queueSeconds a sender's queue holds this many seconds of its rate; beyond it 21611 / 30001
 * @param outcomeRules recipient pattern -> final status and error code
 * @param maxInFlight concurrent API requests per sandbox before 429 / 20429
 * @param maxMessages messages kept in memory; beyond it the oldest are forgotten, so long
 *     benchmarks do not exhaust the heap
 * @param callbackTimeoutMillis timeout of one callback or TwiML fetch
 * @param verifyCodeLength digits in a Verify code
 * @param verifyTtlSeconds how long a verification stays pending
 * @param verifyMaxChecks wrong checks allowed before 60202
 * @param verifyMaxSends sends per To and service within the TTL before 60203
 * @param callbackSigningKeyId SharedKey id to sign callbacks with (HMAC-SHA256, announced in
 *     X-Twilio-Webhooks-Signature-Settings, as a Webhooks Rule does); empty = the auth token
 * @param callbackSigningKey that SharedKey's secret
 * @param callbackSignFragment sign the callback URL with its fragment (connection overrides) kept
 * @param verifyServices Verify service SIDs that exist from the start (others are created with POST
 *     /v2/Services); a request naming any other service gets 404 / 20404, as from Twilio
 */
public record TwilioSandboxSettings(
    String host,
    int port,
    int eventLoops,
    Map<String, String> accounts,
    Map<String, List<String>> apiKeys,
    List<String> numbers,
    List<String> messagingServices,
    String inboundWebhookUrl,
    boolean validateRequests,
    boolean validateResponses,
    String openApiDir,
    int stepMillis,
    boolean realisticPacing,
    double defaultMps,
    double longCodeMps,
    double tollFreeMps,
    double shortCodeMps,
    double whatsAppMps,
    int queueSeconds,
    String outcomeRules,
    int maxInFlight,
    int maxMessages,
    int callbackTimeoutMillis,
    int verifyCodeLength,
    int verifyTtlSeconds,
    int verifyMaxChecks,
    int verifyMaxSends,
    String callbackSigningKeyId,
    String callbackSigningKey,
    boolean callbackSignFragment,
    List<String> verifyServices) {

  /** The account every default-configured sandbox knows; a sandbox-only credential. */
  public static final String DEFAULT_ACCOUNT_SID = "AC00000000000000000000000000000000";

  public static final String DEFAULT_AUTH_TOKEN = "sandbox-auth-token";

  /** The Messaging Service every default-configured sandbox owns. */
  public static final String DEFAULT_MESSAGING_SERVICE_SID = "MG00000000000000000000000000000000";

  public static final String DEFAULT_OUTCOME_RULES =
      "\\+15005553003=undelivered:30003;"
          + "\\+15005553005=undelivered:30005;"
          + "\\+15005553006=undelivered:30006;"
          + "\\+15005553007=undelivered:30007;"
          + "\\+15005553008=failed:30008";

  public static TwilioSandboxSettings from(Function<String, String> lookup) {
    return new TwilioSandboxSettings(
        new Settings(lookup).string("sandbox.twilio.host", "127.0.0.1"),
        new Settings(lookup).integer("sandbox.twilio.port", 8089, 0, 65535),
        new Settings(lookup).integer("sandbox.twilio.event-loops", 0, 0, 256),
        accounts(
            new Settings(lookup)
                .string("sandbox.twilio.accounts", DEFAULT_ACCOUNT_SID + ":" + DEFAULT_AUTH_TOKEN)),
        apiKeys(new Settings(lookup).string("sandbox.twilio.api-keys", "")),
        numbers(new Settings(lookup).string("sandbox.twilio.numbers", "+15005550006")),
        messagingServices(
            new Settings(lookup)
                .string("sandbox.twilio.messaging-services", DEFAULT_MESSAGING_SERVICE_SID)),
        new Settings(lookup).string("sandbox.twilio.inbound-webhook-url", ""),
        new Settings(lookup).bool("sandbox.twilio.validation.requests", true),
        new Settings(lookup).bool("sandbox.twilio.validation.responses", false),
        new Settings(lookup).string("sandbox.twilio.openapi-dir", ""),
        new Settings(lookup).integer("sandbox.twilio.lifecycle.step-millis", 200, 0, 600_000),
        new Settings(lookup).bool("sandbox.twilio.pacing.realistic", false),
        new Settings(lookup).decimal("sandbox.twilio.pacing.default-mps", 1000, 0.001, 1e6),
        new Settings(lookup).decimal("sandbox.twilio.pacing.long-code-mps", 1, 0.001, 1e6),
        new Settings(lookup).decimal("sandbox.twilio.pacing.toll-free-mps", 3, 0.001, 1e6),
        new Settings(lookup).decimal("sandbox.twilio.pacing.short-code-mps", 100, 0.001, 1e6),
        new Settings(lookup).decimal("sandbox.twilio.pacing.whatsapp-mps", 80, 0.001, 1e6),
        new Settings(lookup).integer("sandbox.twilio.pacing.queue-seconds", 36_000, 0, 10_000_000),
        OutcomeRules.check(
            "sandbox.twilio.outcome-rules",
            new Settings(lookup).string("sandbox.twilio.outcome-rules", DEFAULT_OUTCOME_RULES)),
        new Settings(lookup).integer("sandbox.twilio.max-in-flight", 100, 1, 1_000_000),
        new Settings(lookup).integer("sandbox.twilio.max-messages", 200_000, 1, 100_000_000),
        new Settings(lookup).integer("sandbox.twilio.callback.timeout-millis", 5_000, 1, 600_000),
        new Settings(lookup).integer("sandbox.twilio.verify.code-length", 6, 4, 10),
        new Settings(lookup).integer("sandbox.twilio.verify.ttl-seconds", 600, 1, 86_400),
        new Settings(lookup).integer("sandbox.twilio.verify.max-checks", 5, 1, 100),
        new Settings(lookup).integer("sandbox.twilio.verify.max-sends", 5, 1, 100),
        new Settings(lookup).string("sandbox.twilio.callback.signing-key-id", ""),
        new Settings(lookup).string("sandbox.twilio.callback.signing-key", ""),
        new Settings(lookup).bool("sandbox.twilio.callback.sign-fragment", false),
        verifyServices(lookup));
  }

  /**
   * {@code sandbox.twilio.verify.services}; when empty, the connector's own {@code
   * outbox.verify.service-sid}, so the connector's Verify sends find their service in the sandbox.
   */
  private static List<String> verifyServices(Function<String, String> lookup) {
    String raw = new Settings(lookup).string("sandbox.twilio.verify.services", "");
    if (raw.isBlank()) {
      raw = new Settings(lookup).string("outbox.verify.service-sid", "");
    }
    List<String> out = new java.util.ArrayList<>();
    for (String sid : raw.split(",")) {
      if (sid.isBlank()) {
        continue;
      }
      if (!sid.trim().matches("VA[0-9a-fA-F]{32}")) {
        throw new IllegalArgumentException(
            "sandbox.twilio.verify.services: each item must be VA<32 hex>, got '"
                + sid.trim()
                + "'");
      }
      out.add(sid.trim());
    }
    return List.copyOf(out);
  }

  /** Defaults for tests: port 0, everything else as in application.properties. */
  public static TwilioSandboxSettings defaults() {
    return from(k -> "sandbox.twilio.port".equals(k) ? "0" : null);
  }

  private static Map<String, String> accounts(String raw) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String item : raw.split(",")) {
      if (item.isBlank()) {
        continue;
      }
      String[] p = item.trim().split(":", 2);
      if (p.length != 2 || !p[0].matches("AC[0-9a-fA-F]{32}") || p[1].isEmpty()) {
        throw new IllegalArgumentException(
            "sandbox.twilio.accounts: each item must be AC<32 hex>:<auth token>, got '"
                + p[0]
                + ":...'");
      }
      out.put(p[0], p[1]);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("sandbox.twilio.accounts: at least one account needed");
    }
    // In the order written: the first account is the sandbox's default (it sends, it owns the
    // secondary token); Map.copyOf would pick one at random.
    return java.util.Collections.unmodifiableMap(out);
  }

  private static Map<String, List<String>> apiKeys(String raw) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (String item : raw.split(",")) {
      if (item.isBlank()) {
        continue;
      }
      String[] p = item.trim().split(":", 3);
      if (p.length != 3
          || !p[0].matches("SK[0-9a-fA-F]{32}")
          || p[1].isEmpty()
          || !p[2].matches("AC[0-9a-fA-F]{32}")) {
        throw new IllegalArgumentException(
            "sandbox.twilio.api-keys: each item must be SK<32 hex>:<secret>:AC<32 hex>, got '"
                + p[0]
                + ":...'");
      }
      out.put(p[0], List.of(p[1], p[2]));
    }
    return Map.copyOf(out);
  }

  /** An E.164 number or a short code (5 or 6 digits), the senders an account can own. */
  static boolean isOwnableNumber(String n) {
    return n != null && n.matches("\\+[1-9]\\d{1,14}|\\d{5,6}");
  }

  private static List<String> numbers(String raw) {
    List<String> out = new java.util.ArrayList<>();
    for (String n : raw.split(",")) {
      if (n.isBlank()) {
        continue;
      }
      if (!isOwnableNumber(n.trim())) {
        throw new IllegalArgumentException(
            "sandbox.twilio.numbers: each number must be E.164 or a short code, got '"
                + n.trim()
                + "'");
      }
      if (MagicNumbers.isErrorSender(n.trim())) {
        // Twilio answers these with an error whoever owns them; owning one would be a
        // contradiction.
        throw new IllegalArgumentException(
            "sandbox.twilio.numbers: "
                + n.trim()
                + " is a magic test number that Twilio always refuses as a sender; pick another");
      }
      out.add(n.trim());
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("sandbox.twilio.numbers: at least one number needed");
    }
    return List.copyOf(out);
  }

  private static List<String> messagingServices(String raw) {
    List<String> out = new java.util.ArrayList<>();
    for (String sid : raw.split(",")) {
      if (sid.isBlank()) {
        continue;
      }
      if (!sid.trim().matches("MG[0-9a-fA-F]{32}")) {
        throw new IllegalArgumentException(
            "sandbox.twilio.messaging-services: each item must be MG<32 hex>, got '"
                + sid.trim()
                + "'");
      }
      out.add(sid.trim());
    }
    return List.copyOf(out);
  }

  @Override
  public String toString() {
    return "TwilioSandboxSettings[host="
        + host
        + ", port="
        + port
        + ", accounts="
        + accounts.keySet()
        + ", apiKeys="
        + apiKeys.keySet()
        + ", validateRequests="
        + validateRequests
        + ", stepMillis="
        + stepMillis
        + ", realisticPacing="
        + realisticPacing
        + "]";
  }
}
