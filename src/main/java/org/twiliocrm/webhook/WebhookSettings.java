package org.twiliocrm.webhook;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.twiliocrm.config.Settings;

/**
 * Typed settings of the webhook endpoints (section {@code webhooks and write-back} of
 * application.properties).
 *
 * @param publicUrl base URL Twilio calls, e.g. https://crm-hooks.example.com; signatures are
 *     checked against it plus the request path and query
 * @param trustForwardedHeaders take scheme and host from X-Forwarded-Proto/Host when present
 * @param authTokens AccountSid -> auth token; a sub-account signs with its own token
 * @param maxBodyBytes larger requests get 413
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
 */
public record WebhookSettings(
    String publicUrl,
    boolean trustForwardedHeaders,
    Map<String, String> authTokens,
    int maxBodyBytes,
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
    int ackWaitMillis) {

  /** Twilio's webhook request timeout; the persist-then-ack wait must end before it. */
  public static final int TWILIO_TIMEOUT_MILLIS = 15_000;

  /**
   * Retry up to 3 times on any failure (5xx, 4xx, connect and read timeouts): Twilio's default
   * ({@code rc=1&rp=ct}) retries only a failed connection, never a 503.
   */
  public static final String DEFAULT_CONNECTION_OVERRIDES = "rc=3&rp=all";

  public static final String DEFAULT_OPT_OUT =
      "STOP,STOPALL,UNSUBSCRIBE,CANCEL,END,QUIT,REVOKE,OPTOUT";
  public static final String DEFAULT_OPT_IN = "START,YES,UNSTOP";
  public static final String DEFAULT_HELP = "HELP,INFO";

  /**
   * Reads the {@code webhook.*} keys. Tokens come from {@code webhook.auth-tokens}, plus {@code
   * twilio.account-sid}/{@code twilio.auth-token}, plus {@code sandbox.twilio.accounts} (or the
   * sandbox's default account) when {@code sandboxMode} is set.
   */
  public static WebhookSettings from(Function<String, String> lookup, boolean sandboxMode) {
    String port = new Settings(lookup).string("connector.http.port", "8080");
    String publicUrl = new Settings(lookup).string("connector.public-url", "");
    if (publicUrl.isEmpty()) {
      publicUrl = "http://localhost:" + port;
    }
    if (!publicUrl.startsWith("http://") && !publicUrl.startsWith("https://")) {
      throw new IllegalArgumentException(
          "connector.public-url: must start with http:// or https://, got '" + publicUrl + "'");
    }
    while (publicUrl.endsWith("/")) {
      publicUrl = publicUrl.substring(0, publicUrl.length() - 1);
    }
    // Every (AccountSid, token) that may sign; an account's first token is its primary, any other
    // one (a second webhook.auth-tokens entry, twilio.secondary-auth-token) signs too, so that a
    // token rotation at Twilio causes no 403s.
    List<String[]> all =
        new ArrayList<>(
            pairList(
                "webhook.auth-tokens", new Settings(lookup).string("webhook.auth-tokens", "")));
    String sid = new Settings(lookup).optional("twilio.account-sid");
    String token = new Settings(lookup).optional("twilio.auth-token");
    if (sid != null && token != null) {
      all.add(new String[] {sid, token});
    }
    List<String[]> sandboxAccounts = List.of();
    if (sandboxMode) {
      sandboxAccounts =
          pairList(
              "sandbox.twilio.accounts",
              new Settings(lookup)
                  .string(
                      "sandbox.twilio.accounts",
                      "AC00000000000000000000000000000000:sandbox-auth-token"));
      all.addAll(sandboxAccounts);
    }
    String secondary = new Settings(lookup).optional("twilio.secondary-auth-token");
    if (secondary != null) {
      String owner =
          sid != null ? sid : sandboxAccounts.isEmpty() ? null : sandboxAccounts.get(0)[0];
      if (owner == null) {
        throw new IllegalArgumentException(
            "twilio.secondary-auth-token: set twilio.account-sid too (the account it belongs to)");
      }
      all.add(new String[] {owner, secondary});
    }
    Map<String, String> tokens = new LinkedHashMap<>();
    Map<String, List<String>> rotation = new LinkedHashMap<>();
    for (String[] pair : all) {
      String primary = tokens.putIfAbsent(pair[0], pair[1]);
      if (primary != null && !primary.equals(pair[1])) {
        List<String> more = rotation.computeIfAbsent(pair[0], k -> new ArrayList<>());
        if (!more.contains(pair[1])) {
          more.add(pair[1]);
        }
      }
    }
    Map<String, String> keys = new LinkedHashMap<>();
    for (String[] pair :
        pairList("webhook.signing-keys", new Settings(lookup).string("webhook.signing-keys", ""))) {
      keys.put(pair[0], pair[1]);
    }
    String overrides =
        new Settings(lookup)
            .string("webhook.connection-overrides", DEFAULT_CONNECTION_OVERRIDES)
            .trim();
    if (overrides.startsWith("#")) {
      overrides = overrides.substring(1);
    }
    if (overrides.equals("none")) {
      overrides = "";
    }
    int ackWait =
        new Settings(lookup)
            .integer("webhook.ack.max-wait-millis", 5_000, 100, TWILIO_TIMEOUT_MILLIS - 1);
    return new WebhookSettings(
        publicUrl,
        new Settings(lookup).bool("connector.http.trust-forwarded-headers", false),
        Collections.unmodifiableMap(tokens),
        new Settings(lookup).integer("webhook.max-body-bytes", 65536, 1024, 10_000_000),
        new Settings(lookup).integer("webhook.writer.threads", 2, 1, 64),
        new Settings(lookup).integer("webhook.writer.batch", 500, 1, 10_000),
        new Settings(lookup).integer("webhook.process.batch", 200, 1, 10_000),
        keywords(lookup, "webhook.keywords.opt-out", DEFAULT_OPT_OUT),
        keywords(lookup, "webhook.keywords.opt-in", DEFAULT_OPT_IN),
        keywords(lookup, "webhook.keywords.help", DEFAULT_HELP),
        new Settings(lookup)
            .string("webhook.help-text", "Reply STOP to unsubscribe. Msg&data rates may apply."),
        Collections.unmodifiableMap(rotation),
        Collections.unmodifiableMap(keys),
        overrides,
        ackWait);
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

  private static List<String> keywords(Function<String, String> lookup, String key, String def) {
    List<String> out = new ArrayList<>();
    for (String k : new Settings(lookup).string(key, def).split(",")) {
      if (!k.isBlank()) {
        out.add(k.trim().toUpperCase(Locale.ROOT));
      }
    }
    return List.copyOf(out);
  }

  /** Like {@link #pairs} but keeps repeated names, in order. */
  static List<String[]> pairList(String key, String raw) {
    List<String[]> out = new ArrayList<>();
    pairs(key, raw, (k, v) -> out.add(new String[] {k, v}));
    return out;
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
        + "]";
  }
}
