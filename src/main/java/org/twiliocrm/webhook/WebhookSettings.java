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
    String helpText) {

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
    Map<String, String> tokens = new LinkedHashMap<>();
    tokens.putAll(
        pairs("webhook.auth-tokens", new Settings(lookup).string("webhook.auth-tokens", "")));
    String sid = new Settings(lookup).optional("twilio.account-sid");
    String token = new Settings(lookup).optional("twilio.auth-token");
    if (sid != null && token != null) {
      tokens.putIfAbsent(sid, token);
    }
    if (sandboxMode) {
      tokens.putAll(
          pairs(
              "sandbox.twilio.accounts",
              new Settings(lookup)
                  .string(
                      "sandbox.twilio.accounts",
                      "AC00000000000000000000000000000000:sandbox-auth-token")));
    }
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
            .string("webhook.help-text", "Reply STOP to unsubscribe. Msg&data rates may apply."));
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

  /** {@code AC1:token1,AC2:token2}; each item must have both halves. */
  static Map<String, String> pairs(String key, String raw) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String item : raw.split(",")) {
      if (item.isBlank()) {
        continue;
      }
      int colon = item.indexOf(':');
      if (colon <= 0 || colon == item.trim().length() - 1) {
        throw new IllegalArgumentException(
            key + ": each item must read AccountSid:authToken, got an item without both halves");
      }
      out.put(item.substring(0, colon).trim(), item.substring(colon + 1).trim());
    }
    return out;
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
        + "]";
  }
}
