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
    String helpText) {

  // Each key declared once (see ConfigReferenceTest); connector.public-url and the Twilio
  // credentials are ConnectorConfig's.
  public static final Key<Map<String, String>> AUTH_TOKENS =
      Key.custom(
          "webhook.auth-tokens",
          "secret",
          "",
          "AccountSid:authToken,...",
          "Extra webhook signing tokens, AccountSid:authToken comma-separated (sub-accounts sign"
              + " with their own token); a secret: set WEBHOOK_AUTH_TOKENS.",
          (s, k) -> pairs(k.name(), Objects.requireNonNullElse(s.raw(k.name()), "")));
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
    Map<String, String> tokens = new LinkedHashMap<>(AUTH_TOKENS.read(s));
    String sid = s.raw(ConnectorConfig.TWILIO_ACCOUNT_SID.name());
    String token = ConnectorConfig.TWILIO_AUTH_TOKEN.read(s);
    if (sid != null && token != null) {
      tokens.putIfAbsent(sid, token);
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
        HELP_TEXT.read(s));
  }

  /** These settings with more signing tokens, AccountSid -> token (they win over the file's). */
  public WebhookSettings withAuthTokens(Map<String, String> more) {
    Map<String, String> tokens = new LinkedHashMap<>(authTokens);
    tokens.putAll(more);
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
        helpText);
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
