package org.twiliocrm.webhook;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.config.Key;
import org.twiliocrm.config.Settings;
import org.twiliocrm.twilio.TwilioClientSettings;
import org.twiliocrm.twilio.TwilioRegion;

/**
 * Typed settings of the webhook endpoints (section {@code webhooks and write-back} of
 * application.properties).
 *
 * @param publicUrl base URL Twilio calls, e.g. https://crm-hooks.example.com; signatures are
 *     checked against it plus the request path and query
 * @param trustForwardedHeaders take scheme and host from X-Forwarded-Proto/Host when present
 * @param authTokens AccountSid -> auth token; a sub-account signs with its own token
 * @param maxBodyBytes larger requests get 413
 * @param httpWorkerThreads Vert.x worker threads; each in-flight webhook holds one until committed
 * @param writerThreads threads that batch accepted callbacks into the database
 * @param writerBatch most events per insert statement
 * @param processBatch most stored events one processing transaction handles
 * @param optOutKeywords whole-body keywords that opt a recipient out (case-insensitive)
 * @param optInKeywords keywords that opt back in
 * @param helpKeywords keywords answered with {@code helpText}
 * @param helpText TwiML message text answered to HELP; empty = no reply
 * @param rotationTokens AccountSid -> further tokens that also sign during a token rotation (the
 *     secondary token, or a second {@code webhook.auth-tokens} entry for the same account)
 * @param signingKeys SharedKey id -> secret, for callbacks a Webhooks Rule signs (HMAC-SHA256)
 * @param connectionOverrides Twilio connection overrides the connector appends to the callback URLs
 *     it sets, as a fragment without {@code #}; empty (configured as {@code none}) = no fragment
 * @param ackWaitMillis longest a callback waits for its commit before it is answered 503; below
 *     Twilio's 15 s request timeout, so the 503 (and Twilio's retry) comes before Twilio gives up
 * @param rejectionLogPerMinute most "webhook rejected" log lines a minute (all are counted)
 * @param region the Twilio Region ({@code twilio.region}, us1 when unset) whose token checks a
 *     callback whose URL has no {@code ?region=}
 * @param regionAccount the account the regional tokens belong to ({@code twilio.account-sid})
 * @param regionAuthTokens region -> that account's auth token there ({@code
 *     twilio.region-auth-tokens})
 */
public record WebhookSettings(
    String publicUrl,
    boolean trustForwardedHeaders,
    Map<String, String> authTokens,
    int maxBodyBytes,
    int httpWorkerThreads,
    int writerThreads,
    int writerBatch,
    int processBatch,
    List<String> optOutKeywords,
    List<String> optInKeywords,
    List<String> helpKeywords,
    String helpText,
    Map<String, List<String>> rotationTokens,
    Map<String, String> signingKeys,
    String connectionOverrides,
    int ackWaitMillis,
    int rejectionLogPerMinute,
    String region,
    String regionAccount,
    Map<String, String> regionAuthTokens) {

  /** Twilio's webhook request timeout; the persist-then-ack wait must end before it. */
  public static final int TWILIO_TIMEOUT_MILLIS = 15_000;

  /**
   * Retry up to 3 times on any failure (5xx, 4xx, connect and read timeouts): Twilio's default
   * ({@code rc=1&rp=ct}) retries only a failed connection, never a 503.
   */
  public static final String DEFAULT_CONNECTION_OVERRIDES = "rc=3&rp=all";

  // Each key declared once (see ConfigReferenceTest); connector.public-url and the Twilio
  // credentials are ConnectorConfig's.
  /** In order, repeats kept: a second token of the same account signs too (rotation). */
  public static final Key<List<Map.Entry<String, String>>> AUTH_TOKENS =
      Key.custom(
          "webhook.auth-tokens",
          "secret",
          "",
          "AccountSid:authToken,...",
          "Extra webhook signing tokens, AccountSid:authToken comma-separated (sub-accounts sign"
              + " with their own token); a secret: set WEBHOOK_AUTH_TOKENS.",
          (s, k) -> pairList(k.name(), Objects.requireNonNullElse(s.raw(k.name()), "")));

  public static final Key<Map<String, String>> SIGNING_KEYS =
      Key.custom(
          "webhook.signing-keys",
          "secret",
          "",
          "keyId:secret,...",
          "SharedKeys of Twilio Webhooks Rules, keyId:secret comma-separated, checked with"
              + " HMAC-SHA256 when X-Twilio-Webhooks-Signature-Settings names them; a secret: set"
              + " WEBHOOK_SIGNING_KEYS (empty = none).",
          (s, k) ->
              Collections.unmodifiableMap(
                  pairs(k.name(), Objects.requireNonNullElse(s.raw(k.name()), ""))));
  public static final Key<String> CONNECTION_OVERRIDES =
      Key.custom(
          "webhook.connection-overrides",
          "string",
          DEFAULT_CONNECTION_OVERRIDES,
          "Twilio connection overrides (rc, rp, ct, rt, ...), or none",
          "Twilio connection overrides added as the fragment of the callback URLs the connector"
              + " sets (retry 5xx and timeouts, not only failed connections); none = no fragment.",
          (s, k) -> {
            String v = k.rawOrDefault(s).trim();
            if (v.startsWith("#")) {
              v = v.substring(1);
            }
            return v.equals("none") ? "" : v;
          });
  public static final Key<Integer> ACK_MAX_WAIT_MILLIS =
      Key.integer(
          "webhook.ack.max-wait-millis",
          5_000,
          100,
          TWILIO_TIMEOUT_MILLIS - 1,
          "Longest a webhook waits for its row to commit before it is answered 503; must stay"
              + " below Twilio's 15000 ms request timeout.");
  public static final Key<Integer> REJECTION_LOG_PER_MINUTE =
      Key.integer(
          "webhook.rejection-log.per-minute",
          30,
          1,
          100_000,
          "Most \"webhook rejected\" log lines a minute; every rejection is still counted in"
              + " twiliocrm_webhook_rejected_total.");
  public static final Key<Integer> MAX_BODY_BYTES =
      Key.integer(
          "webhook.max-body-bytes",
          65536,
          1024,
          10_000_000,
          "Webhook requests larger than this many bytes are refused with 413.");
  public static final Key<Integer> HTTP_WORKER_THREADS =
      Key.integer(
          "webhook.http.worker-threads",
          64,
          1,
          1024,
          "Vert.x worker threads of the HTTP server; each in-flight webhook holds one until its row"
              + " is committed.");
  public static final Key<Integer> WRITER_THREADS =
      Key.integer(
          "webhook.writer.threads",
          2,
          1,
          64,
          "Threads that write accepted webhooks to the database in batches (group commit) before"
              + " the 200.");
  public static final Key<Integer> WRITER_BATCH =
      Key.integer(
          "webhook.writer.batch", 500, 1, 10_000, "Most webhook events one insert batch carries.");
  public static final Key<Integer> PROCESS_BATCH =
      Key.integer(
          "webhook.process.batch",
          200,
          1,
          10_000,
          "Most stored webhook events one processing transaction applies.");

  /** Read by the stored-event route as {{webhook.process.poll-millis}}; checked at start-up. */
  public static final Key<Integer> PROCESS_POLL_MILLIS =
      Key.integer(
          "webhook.process.poll-millis",
          1000,
          1,
          3_600_000,
          "How long the event processor sleeps when idle before polling again (it is woken on every"
              + " store).");

  public static final Key<List<String>> OPT_OUT_KEYWORDS =
      keywords(
          "webhook.keywords.opt-out",
          "STOP,STOPALL,UNSUBSCRIBE,CANCEL,END,QUIT,REVOKE,OPTOUT",
          "Inbound keywords that opt the sender out (whole body, case-insensitive), Twilio's"
              + " defaults.");
  public static final Key<List<String>> OPT_IN_KEYWORDS =
      keywords(
          "webhook.keywords.opt-in",
          "START,YES,UNSTOP",
          "Inbound keywords that opt the sender back in.");
  public static final Key<List<String>> HELP_KEYWORDS =
      keywords(
          "webhook.keywords.help",
          "HELP,INFO",
          "Inbound keywords answered with webhook.help-text.");
  public static final Key<String> HELP_TEXT =
      Key.custom(
          "webhook.help-text",
          "string",
          "Reply STOP to unsubscribe. Msg&data rates may apply.",
          "",
          "Text answered as TwiML to a HELP keyword; empty = no answer.",
          (s, k) -> Objects.requireNonNullElse(k.rawOrDefault(s), ""));

  public static final List<Key<?>> KEYS =
      List.of(
          AUTH_TOKENS,
          MAX_BODY_BYTES,
          SIGNING_KEYS,
          CONNECTION_OVERRIDES,
          ACK_MAX_WAIT_MILLIS,
          REJECTION_LOG_PER_MINUTE,
          HTTP_WORKER_THREADS,
          WRITER_THREADS,
          WRITER_BATCH,
          PROCESS_BATCH,
          PROCESS_POLL_MILLIS,
          OPT_OUT_KEYWORDS,
          OPT_IN_KEYWORDS,
          HELP_KEYWORDS,
          HELP_TEXT);

  /**
   * Reads the {@code webhook.*} keys. Tokens come from {@code webhook.auth-tokens} plus {@code
   * twilio.account-sid}/{@code twilio.auth-token}; the wiring point adds the sandbox's accounts in
   * sandbox mode ({@link #withAuthTokens}).
   */
  public static WebhookSettings from(Function<String, String> lookup) {
    Settings s = new Settings(lookup);
    String publicUrl = ConnectorConfig.PUBLIC_URL.read(s);
    if (publicUrl == null) {
      publicUrl = "http://localhost:" + ConnectorConfig.HTTP_PORT.read(s);
    }
    // Every (AccountSid, token) that may sign; an account's first token is its primary, any other
    // one (a second webhook.auth-tokens entry, twilio.secondary-auth-token) signs too, so that a
    // token rotation at Twilio causes no 403s.
    List<Map.Entry<String, String>> all = new ArrayList<>(AUTH_TOKENS.read(s));
    String sid = s.raw(ConnectorConfig.TWILIO_ACCOUNT_SID.name());
    String token = ConnectorConfig.TWILIO_AUTH_TOKEN.read(s);
    if (sid != null && token != null) {
      all.add(Map.entry(sid, token));
    }
    String secondary = ConnectorConfig.TWILIO_SECONDARY_AUTH_TOKEN.read(s);
    if (secondary != null) {
      // In sandbox mode the wiring point supplies the sandbox's first account as the owner when
      // twilio.account-sid is unset (app.Sandboxes).
      if (sid == null) {
        throw new IllegalArgumentException(
            ConnectorConfig.TWILIO_SECONDARY_AUTH_TOKEN.name()
                + ": set twilio.account-sid too (the account it belongs to)");
      }
      all.add(Map.entry(sid, secondary));
    }
    Map<String, String> tokens = new LinkedHashMap<>();
    Map<String, List<String>> rotation = new LinkedHashMap<>();
    for (Map.Entry<String, String> pair : all) {
      addSigner(tokens, rotation, pair.getKey(), pair.getValue());
    }
    PROCESS_POLL_MILLIS.read(s);
    return new WebhookSettings(
        publicUrl,
        ConnectorConfig.TRUST_FORWARDED_HEADERS.read(s),
        Collections.unmodifiableMap(tokens),
        MAX_BODY_BYTES.read(s),
        HTTP_WORKER_THREADS.read(s),
        WRITER_THREADS.read(s),
        WRITER_BATCH.read(s),
        PROCESS_BATCH.read(s),
        OPT_OUT_KEYWORDS.read(s),
        OPT_IN_KEYWORDS.read(s),
        HELP_KEYWORDS.read(s),
        HELP_TEXT.read(s),
        unmodifiable(rotation),
        SIGNING_KEYS.read(s),
        CONNECTION_OVERRIDES.read(s),
        ACK_MAX_WAIT_MILLIS.read(s),
        REJECTION_LOG_PER_MINUTE.read(s),
        TwilioClientSettings.region(lookup).effectiveRegion(),
        sid,
        TwilioClientSettings.REGION_AUTH_TOKENS.read(s));
  }

  /**
   * The regions a callback may name in {@code ?region=}: us1 (the account's own tokens), the
   * configured {@code twilio.region}, and each region with a token in {@code
   * twilio.region-auth-tokens}.
   */
  public boolean knowsRegion(String name) {
    return TwilioRegion.DEFAULT.equals(name)
        || region.equals(name)
        || regionAuthTokens.containsKey(name);
  }

  /** The account's first token is its primary; a different one signs too (rotation). */
  private static void addSigner(
      Map<String, String> tokens, Map<String, List<String>> rotation, String sid, String token) {
    String primary = tokens.putIfAbsent(sid, token);
    if (primary != null && !primary.equals(token)) {
      List<String> more = rotation.computeIfAbsent(sid, k -> new ArrayList<>());
      if (!more.contains(token)) {
        more.add(token);
      }
    }
  }

  private static Map<String, List<String>> unmodifiable(Map<String, List<String>> rotation) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    rotation.forEach((k, v) -> out.put(k, List.copyOf(v)));
    return Collections.unmodifiableMap(out);
  }

  /** Every token that may sign for the account: the primary first, then rotation tokens. */
  public List<String> tokensOf(String accountSid) {
    List<String> out = new ArrayList<>();
    String primary = authTokens.get(accountSid);
    if (primary != null) {
      out.add(primary);
    }
    out.addAll(rotationTokens.getOrDefault(accountSid, List.of()));
    return out;
  }

  /** {@code url} with the connection overrides appended as its fragment (unchanged when none). */
  public String withOverrides(String url) {
    if (connectionOverrides.isEmpty() || url == null || url.indexOf('#') >= 0) {
      return url;
    }
    return url + "#" + connectionOverrides;
  }

  /**
   * These settings with more signing tokens, AccountSid -> token: an account without one gets it as
   * its primary, an account that has a different one gets it as a further signer (as in a
   * rotation), so the configured tokens keep signing too.
   */
  public WebhookSettings withAuthTokens(Map<String, String> more) {
    Map<String, String> tokens = new LinkedHashMap<>(authTokens);
    Map<String, List<String>> rotation = new LinkedHashMap<>();
    rotationTokens.forEach((k, v) -> rotation.put(k, new ArrayList<>(v)));
    more.forEach((sid, token) -> addSigner(tokens, rotation, sid, token));
    return new WebhookSettings(
        publicUrl,
        trustForwardedHeaders,
        Collections.unmodifiableMap(tokens),
        maxBodyBytes,
        httpWorkerThreads,
        writerThreads,
        writerBatch,
        processBatch,
        optOutKeywords,
        optInKeywords,
        helpKeywords,
        helpText,
        unmodifiable(rotation),
        signingKeys,
        connectionOverrides,
        ackWaitMillis,
        rejectionLogPerMinute,
        region,
        regionAccount,
        regionAuthTokens);
  }

  private static Key<List<String>> keywords(String name, String def, String description) {
    return Key.custom(
        name,
        "list",
        def,
        "comma-separated words",
        description,
        (s, k) -> {
          List<String> out = new ArrayList<>();
          for (String w : k.rawOrDefault(s).split(",")) {
            if (!w.isBlank()) {
              out.add(w.trim().toUpperCase(Locale.ROOT));
            }
          }
          return List.copyOf(out);
        });
  }

  /** Like {@link #pairs} but keeps repeated names, in order. */
  static List<Map.Entry<String, String>> pairList(String key, String raw) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    pairs(key, raw, (k, v) -> out.add(Map.entry(k, v)));
    return List.copyOf(out);
  }

  /** {@code AC1:token1,AC2:token2}; each item must have both halves. */
  static Map<String, String> pairs(String key, String raw) {
    Map<String, String> out = new LinkedHashMap<>();
    pairs(key, raw, out::put);
    return out;
  }

  private static void pairs(
      String key, String raw, java.util.function.BiConsumer<String, String> out) {
    for (String item : raw.split(",")) {
      if (item.isBlank()) {
        continue;
      }
      int colon = item.indexOf(':');
      if (colon <= 0 || colon == item.trim().length() - 1) {
        throw new IllegalArgumentException(
            key + ": each item must read name:secret, got an item without both halves");
      }
      out.accept(item.substring(0, colon).trim(), item.substring(colon + 1).trim());
    }
  }

  @Override
  public String toString() {
    // Never print tokens.
    return "WebhookSettings[publicUrl="
        + publicUrl
        + ", trustForwardedHeaders="
        + trustForwardedHeaders
        + ", accounts="
        + authTokens.keySet()
        + ", maxBodyBytes="
        + maxBodyBytes
        + ", signingKeys="
        + signingKeys.keySet()
        + ", connectionOverrides="
        + connectionOverrides
        + ", ackWaitMillis="
        + ackWaitMillis
        + ", region="
        + region
        + ", regionTokens="
        + regionAuthTokens.keySet()
        + "]";
  }
}
