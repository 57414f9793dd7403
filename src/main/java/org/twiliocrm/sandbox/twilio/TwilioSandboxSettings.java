package org.twiliocrm.sandbox.twilio;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.twiliocrm.config.Key;
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
 * @param maxCallbackBacklog status callbacks waiting to be posted before message creates are held
 *     back (each holds its message in memory)
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
 * @param regionAuthTokens region -> the first account's auth token there (ie1, au1, ...)
 * @param numbersRegion the region the sandbox's numbers are homed in (inbound messages are signed
 *     with its token); null = us1
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
    int maxCallbackBacklog,
    int verifyCodeLength,
    int verifyTtlSeconds,
    int verifyMaxChecks,
    int verifyMaxSends,
    String callbackSigningKeyId,
    String callbackSigningKey,
    boolean callbackSignFragment,
    List<String> verifyServices,
    Map<String, String> regionAuthTokens,
    String numbersRegion) {

  /** The account every default-configured sandbox knows; a sandbox-only credential. */
  public static final String DEFAULT_ACCOUNT_SID = "AC00000000000000000000000000000000";

  public static final String DEFAULT_AUTH_TOKEN = "sandbox-auth-token";

  /**
   * The first account's tokens in the regions other than us1: the sandbox answers on regional host
   * names (api.dublin.ie1.twilio.com) as Twilio does, and there only the region's token is valid.
   */
  public static final String DEFAULT_REGION_AUTH_TOKENS =
      "ie1:sandbox-ie1-auth-token,au1:sandbox-au1-auth-token";

  /** The Messaging Service every default-configured sandbox owns. */
  public static final String DEFAULT_MESSAGING_SERVICE_SID = "MG00000000000000000000000000000000";

  public static final String DEFAULT_OUTCOME_RULES =
      "\\+15005553003=undelivered:30003;"
          + "\\+15005553005=undelivered:30005;"
          + "\\+15005553006=undelivered:30006;"
          + "\\+15005553007=undelivered:30007;"
          + "\\+15005553008=failed:30008;"
          // WhatsApp refused at creation, outside the 24-hour window (the channel fallback's case).
          + "whatsapp:\\+15005556016=rejected:63016";

  // Each key declared once: name, default, range and description (the reference in
  // docs/configuration.md and application.properties are checked against these, see
  // ConfigReferenceTest).
  public static final Key<String> HOST =
      text(
          "sandbox.twilio.host",
          "127.0.0.1",
          "Interface the Twilio sandbox binds; keep it on localhost, its control API has no"
              + " authentication.");
  public static final Key<String> EXTERNAL_URL =
      text(
          "sandbox.twilio.external-url",
          "",
          "Sandbox mode only: base URL of a Twilio sandbox that is already running (another"
              + " connector's, or a test's), used instead of starting one, so several connector"
              + " processes share one; it must accept sandbox.twilio.accounts. Empty = start one.");
  public static final Key<Integer> PORT =
      Key.integer(
          "sandbox.twilio.port", 8089, 0, 65535, "Port of the Twilio sandbox (0 = any free port).");
  public static final Key<Integer> EVENT_LOOPS =
      Key.integer(
          "sandbox.twilio.event-loops",
          0,
          0,
          256,
          "Vert.x event-loop threads of the sandbox (0 = two per CPU core).");
  public static final Key<Map<String, String>> ACCOUNTS =
      Key.custom(
          "sandbox.twilio.accounts",
          "list",
          DEFAULT_ACCOUNT_SID + ":" + DEFAULT_AUTH_TOKEN,
          "AC<32 hex>:<auth token>, at least one",
          "Accounts the sandbox accepts, AccountSid:AuthToken, comma-separated. Sandbox-only"
              + " credentials, not Twilio secrets.",
          (s, k) -> accounts(s.string(k.name(), k.defaultText())));
  public static final Key<Map<String, String>> REGION_AUTH_TOKENS =
      Key.custom(
          "sandbox.twilio.region-auth-tokens",
          "list",
          DEFAULT_REGION_AUTH_TOKENS,
          "region:<auth token>, e.g. ie1:...",
          "Auth tokens of the first sandbox account in Twilio Regions other than us1,"
              + " region:AuthToken comma-separated: a request to a regional host (Host"
              + " api.dublin.ie1.twilio.com) authenticates with that region's token and its"
              + " callbacks are signed with it. Sandbox-only credentials.",
          (s, k) ->
              org.twiliocrm.twilio.TwilioRegion.tokens(
                  k.name(), s.string(k.name(), k.defaultText())));
  public static final Key<String> NUMBERS_REGION =
      Key.string(
          "sandbox.twilio.numbers-region",
          "",
          "Twilio Region the sandbox's numbers are homed in: inbound messages to them are signed"
              + " with that region's token (empty = us1; in the connector's sandbox mode,"
              + " twilio.region).");
  public static final Key<Map<String, List<String>>> API_KEYS =
      Key.custom(
          "sandbox.twilio.api-keys",
          "list",
          "",
          "SK<32 hex>:<secret>:AC<32 hex>",
          "API keys the sandbox accepts, ApiKeySid:Secret:AccountSid, comma-separated (empty ="
              + " none).",
          (s, k) -> apiKeys(s.string(k.name(), k.defaultText())));
  public static final Key<List<String>> NUMBERS =
      Key.custom(
          "sandbox.twilio.numbers",
          "list",
          "+15005550006",
          "E.164 or short code, at least one",
          "Numbers the sandbox account owns (E.164 or short code, comma-separated); any other From"
              + " is refused (21606/63007/21210); the first sends for Messaging Services.",
          (s, k) -> numbers(s.string(k.name(), k.defaultText())));
  public static final Key<List<String>> MESSAGING_SERVICES =
      Key.custom(
          "sandbox.twilio.messaging-services",
          "list",
          DEFAULT_MESSAGING_SERVICE_SID,
          "MG<32 hex>",
          "Messaging Service SIDs the sandbox account owns (MG + 32 hex, comma-separated); any"
              + " other is refused with 21701.",
          (s, k) -> messagingServices(s.string(k.name(), k.defaultText())));
  public static final Key<String> INBOUND_WEBHOOK_URL =
      text(
          "sandbox.twilio.inbound-webhook-url",
          "",
          "Where a handset's message to a sandbox number is posted, signed, e.g. the connector's"
              + " inbound webhook (empty = nowhere).");
  public static final Key<Boolean> VALIDATE_REQUESTS =
      Key.bool(
          "sandbox.twilio.validation.requests",
          true,
          "Check every API request against Twilio's OpenAPI description (turn off only for"
              + " benchmarks).");
  public static final Key<Boolean> VALIDATE_RESPONSES =
      Key.bool(
          "sandbox.twilio.validation.responses",
          false,
          "Check every JSON response against the OpenAPI response schema and list violations at"
              + " /sandbox/validation.");
  public static final Key<String> OPENAPI_DIR =
      text(
          "sandbox.twilio.openapi-dir",
          "",
          "Directory with twilio_api_v2010.json and twilio_verify_v2.json (empty = the copy"
              + " packaged in the jar).");
  public static final Key<Integer> STEP_MILLIS =
      Key.integer(
          "sandbox.twilio.lifecycle.step-millis",
          200,
          0,
          600_000,
          "Milliseconds between a message's life-cycle steps (queued, sending, sent, delivered)"
              + " and a call's.");
  public static final Key<Boolean> REALISTIC_PACING =
      Key.bool(
          "sandbox.twilio.pacing.realistic",
          false,
          "Pace each sender at Twilio's real rates (the *-mps keys below) instead of"
              + " pacing.default-mps.");
  public static final Key<Double> DEFAULT_MPS =
      rate(
          "sandbox.twilio.pacing.default-mps",
          "1000",
          "Messages per second per sender when pacing is not realistic: generous, so demos and"
              + " benchmarks are not slowed.");
  public static final Key<Double> LONG_CODE_MPS =
      rate(
          "sandbox.twilio.pacing.long-code-mps",
          "1",
          "US long code rate with realistic pacing (Twilio: 1 MPS).");
  public static final Key<Double> TOLL_FREE_MPS =
      rate(
          "sandbox.twilio.pacing.toll-free-mps",
          "3",
          "Toll-free rate with realistic pacing (Twilio default: 3 MPS).");
  public static final Key<Double> SHORT_CODE_MPS =
      rate(
          "sandbox.twilio.pacing.short-code-mps",
          "100",
          "Short code rate with realistic pacing (Twilio: 100 MPS).");
  public static final Key<Double> WHATSAPP_MPS =
      rate(
          "sandbox.twilio.pacing.whatsapp-mps",
          "80",
          "WhatsApp sender rate with realistic pacing.");
  public static final Key<Integer> QUEUE_SECONDS =
      Key.integer(
          "sandbox.twilio.pacing.queue-seconds",
          36_000,
          0,
          10_000_000,
          "A sender's queue holds this many seconds of its rate (Twilio: 10 hours); beyond it"
              + " 21611, or 30001 with a Messaging Service.");
  public static final Key<String> OUTCOME_RULES =
      Key.custom(
          "sandbox.twilio.outcome-rules",
          "string",
          DEFAULT_OUTCOME_RULES,
          "regex=status[:errorCode];...",
          "Final status by recipient: regex=status[:errorCode] separated by ';' (status"
              + " delivered, undelivered, failed, read or sent; rejected:code refuses the create"
              + " itself).",
          (s, k) -> OutcomeRules.check(k.name(), s.string(k.name(), k.defaultText())));
  public static final Key<Integer> MAX_IN_FLIGHT =
      Key.integer(
          "sandbox.twilio.max-in-flight",
          100,
          1,
          1_000_000,
          "Concurrent API requests before the sandbox answers 429 / 20429, like a Twilio account"
              + " (about 100).");
  public static final Key<Integer> MAX_MESSAGES =
      Key.integer(
          "sandbox.twilio.max-messages",
          10_000,
          1,
          100_000_000,
          "Messages kept in memory (with their events, about 3 KB each); beyond it the oldest are"
              + " forgotten (no longer listed or fetchable; one still queued or being sent"
              + " finishes its life cycle with its status callbacks), so long runs do not fill the"
              + " heap.");
  public static final Key<Integer> CALLBACK_TIMEOUT_MILLIS =
      Key.integer(
          "sandbox.twilio.callback.timeout-millis",
          5_000,
          1,
          600_000,
          "Timeout in milliseconds of one status callback, inbound webhook or TwiML fetch.");
  public static final Key<Integer> MAX_CALLBACK_BACKLOG =
      Key.integer(
          "sandbox.twilio.max-callback-backlog",
          10_000,
          1,
          100_000_000,
          "Status callbacks waiting to be posted (the receiver acknowledges them more slowly than"
              + " messages are created) beyond which a message create waits, up to 10 s, for the"
              + " backlog to fall: each waiting callback holds its message in memory, so the"
              + " backlog, not the requests, would otherwise fill the heap.");
  public static final Key<String> CALLBACK_SIGNING_KEY_ID =
      text(
          "sandbox.twilio.callback.signing-key-id",
          "",
          "SharedKey id the sandbox signs callbacks with (HMAC-SHA256 and"
              + " X-Twilio-Webhooks-Signature-Settings, like a Webhooks Rule); empty = the auth"
              + " token.");
  public static final Key<String> CALLBACK_SIGNING_KEY =
      Key.custom(
          "sandbox.twilio.callback.signing-key",
          "secret",
          "",
          "",
          "Secret of that SharedKey (sandbox only).",
          (s, k) -> s.string(k.name(), ""));
  public static final Key<Boolean> CALLBACK_SIGN_FRAGMENT =
      Key.bool(
          "sandbox.twilio.callback.sign-fragment",
          false,
          "Whether the sandbox signs the callback URL with its fragment (connection overrides)"
              + " kept; false = stripped.");
  public static final Key<Integer> VERIFY_CODE_LENGTH =
      Key.integer("sandbox.twilio.verify.code-length", 6, 4, 10, "Digits in a Verify code.");
  public static final Key<Integer> VERIFY_TTL_SECONDS =
      Key.integer(
          "sandbox.twilio.verify.ttl-seconds",
          600,
          1,
          86_400,
          "Seconds a verification stays pending before it expires (Twilio: 10 minutes).");
  public static final Key<Integer> VERIFY_MAX_CHECKS =
      Key.integer(
          "sandbox.twilio.verify.max-checks", 5, 1, 100, "Wrong checks allowed before 60202.");
  public static final Key<Integer> VERIFY_MAX_SENDS =
      Key.integer(
          "sandbox.twilio.verify.max-sends",
          5,
          1,
          100,
          "Sends to one number per service within the TTL before 60203.");
  public static final Key<List<String>> VERIFY_SERVICES =
      Key.custom(
          "sandbox.twilio.verify.services",
          "list",
          "",
          "VA<32 hex>",
          "Verify service SIDs (VA..., comma-separated) that exist from the start; empty ="
              + " outbox.verify.service-sid. Others get 404 / 20404 until created with POST"
              + " /v2/Services.",
          (s, k) -> verifyServices(s));

  /** Every key, in the order application.properties writes them (for the reference). */
  public static final List<Key<?>> KEYS =
      List.of(
          HOST,
          EXTERNAL_URL,
          PORT,
          EVENT_LOOPS,
          ACCOUNTS,
          REGION_AUTH_TOKENS,
          NUMBERS_REGION,
          API_KEYS,
          NUMBERS,
          MESSAGING_SERVICES,
          INBOUND_WEBHOOK_URL,
          VALIDATE_REQUESTS,
          VALIDATE_RESPONSES,
          OPENAPI_DIR,
          STEP_MILLIS,
          REALISTIC_PACING,
          DEFAULT_MPS,
          LONG_CODE_MPS,
          TOLL_FREE_MPS,
          SHORT_CODE_MPS,
          WHATSAPP_MPS,
          QUEUE_SECONDS,
          OUTCOME_RULES,
          MAX_IN_FLIGHT,
          MAX_MESSAGES,
          CALLBACK_TIMEOUT_MILLIS,
          MAX_CALLBACK_BACKLOG,
          CALLBACK_SIGNING_KEY_ID,
          CALLBACK_SIGNING_KEY,
          CALLBACK_SIGN_FRAGMENT,
          VERIFY_CODE_LENGTH,
          VERIFY_TTL_SECONDS,
          VERIFY_MAX_CHECKS,
          VERIFY_MAX_SENDS,
          VERIFY_SERVICES);

  /** A free-form text key whose default is kept as written ("" stays "", not null). */
  private static Key<String> text(String name, String def, String description) {
    return Key.custom(name, "string", def, "", description, (s, k) -> s.string(name, def));
  }

  /** A messages-per-second rate; {@code def} is written as in application.properties. */
  private static Key<Double> rate(String name, String def, String description) {
    double parsed = Double.parseDouble(def);
    return Key.custom(
        name,
        "decimal",
        def,
        "0.001..1000000",
        description,
        (s, k) -> s.decimal(name, parsed, 0.001, 1e6));
  }

  public static TwilioSandboxSettings from(Function<String, String> lookup) {
    Settings s = new Settings(lookup);
    TwilioSandboxSettings read =
        new TwilioSandboxSettings(
            HOST.read(s),
            PORT.read(s),
            EVENT_LOOPS.read(s),
            ACCOUNTS.read(s),
            API_KEYS.read(s),
            NUMBERS.read(s),
            MESSAGING_SERVICES.read(s),
            INBOUND_WEBHOOK_URL.read(s),
            VALIDATE_REQUESTS.read(s),
            VALIDATE_RESPONSES.read(s),
            OPENAPI_DIR.read(s),
            STEP_MILLIS.read(s),
            REALISTIC_PACING.read(s),
            DEFAULT_MPS.read(s),
            LONG_CODE_MPS.read(s),
            TOLL_FREE_MPS.read(s),
            SHORT_CODE_MPS.read(s),
            WHATSAPP_MPS.read(s),
            QUEUE_SECONDS.read(s),
            OUTCOME_RULES.read(s),
            MAX_IN_FLIGHT.read(s),
            MAX_MESSAGES.read(s),
            CALLBACK_TIMEOUT_MILLIS.read(s),
            MAX_CALLBACK_BACKLOG.read(s),
            VERIFY_CODE_LENGTH.read(s),
            VERIFY_TTL_SECONDS.read(s),
            VERIFY_MAX_CHECKS.read(s),
            VERIFY_MAX_SENDS.read(s),
            CALLBACK_SIGNING_KEY_ID.read(s),
            CALLBACK_SIGNING_KEY.read(s),
            CALLBACK_SIGN_FRAGMENT.read(s),
            VERIFY_SERVICES.read(s),
            REGION_AUTH_TOKENS.read(s),
            NUMBERS_REGION.read(s));
    String r = read.numbersRegion();
    if (r != null
        && !r.isBlank()
        && !org.twiliocrm.twilio.TwilioRegion.DEFAULT.equals(r)
        && !read.regionAuthTokens().containsKey(r)) {
      throw new IllegalArgumentException(
          NUMBERS_REGION.name()
              + ": region "
              + r
              + " has no token in "
              + REGION_AUTH_TOKENS.name()
              + " (it has "
              + read.regionAuthTokens().keySet()
              + ")");
    }
    return read;
  }

  /**
   * {@code sandbox.twilio.verify.services}; when empty, the connector's own {@code
   * outbox.verify.service-sid}, so the connector's Verify sends find their service in the sandbox.
   */
  private static List<String> verifyServices(Settings s) {
    String raw = s.string("sandbox.twilio.verify.services", "");
    if (raw.isBlank()) {
      raw = s.string("outbox.verify.service-sid", "");
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
    return from(k -> PORT.name().equals(k) ? "0" : null);
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
