package org.twiliocrm.outbound;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.twiliocrm.config.ConfigException;
import org.twiliocrm.config.Key;
import org.twiliocrm.config.Settings;

/**
 * Settings of sender pacing (keys under {@code outbox.pacing.*}, docs/outbox.md#sender-pacing): the
 * send rate of each kind of sender, in messages per second, and rates set for single senders.
 *
 * @param enabled whether the pace step books send slots at all
 * @param longCode a US/CA 10-digit long code or any other plain number (Twilio: 1 MPS)
 * @param tollFree a North American toll-free number (Twilio: 3 MPS once verified)
 * @param shortCode a short code (Twilio: 100 MPS)
 * @param whatsapp a WhatsApp sender (Twilio: 80 MPS)
 * @param messagingService a Messaging Service without a rate of its own (its pool's rate is the sum
 *     of its senders', which the connector does not know, so set it per service)
 * @param perSender rates set for single senders: a number, whatsapp:number or MG... SID
 */
public record PacingSettings(
    boolean enabled,
    double longCode,
    double tollFree,
    double shortCode,
    double whatsapp,
    double messagingService,
    Map<String, Double> perSender) {

  private static final double MAX = 10_000;

  public static final Key<Boolean> ENABLED =
      Key.bool(
          "outbox.pacing.enabled",
          false,
          "Pace sends per sender across every replica sharing the database: rows beyond the"
              + " sender's rate wait in the outbox (not in Twilio's queue) for a booked slot.");
  public static final Key<Double> LONG_CODE = rate("long-code", "1", "a long code (plain number)");
  public static final Key<Double> TOLL_FREE =
      rate("toll-free", "3", "a North American toll-free number");
  public static final Key<Double> SHORT_CODE = rate("short-code", "100", "a short code");
  public static final Key<Double> WHATSAPP = rate("whatsapp", "80", "a WhatsApp sender");
  public static final Key<Double> MESSAGING_SERVICE =
      rate(
          "messaging-service",
          "1",
          "a Messaging Service not named in outbox.pacing.senders (its real rate is the sum of"
              + " its senders')");
  public static final Key<Map<String, Double>> SENDERS =
      Key.custom(
          "outbox.pacing.senders",
          "list",
          "",
          "sender=rate, comma-separated",
          "Rates (messages per second) for single senders, overriding their kind's:"
              + " +15005550006=10,MG0123...=250,whatsapp:+14155550100=40.",
          (s, k) -> parseSenders(k.name(), s.raw(k.name())));

  public static final List<Key<?>> KEYS =
      List.of(ENABLED, LONG_CODE, TOLL_FREE, SHORT_CODE, WHATSAPP, MESSAGING_SERVICE, SENDERS);

  private static final Pattern SENDER =
      Pattern.compile("(?i:whatsapp:)?\\+?[0-9]{3,15}|MG[0-9a-fA-F]{32}|[A-Za-z0-9]{1,11}");

  private static Key<Double> rate(String kind, String def, String what) {
    String name = "outbox.pacing." + kind + "-mps";
    double d = Double.parseDouble(def);
    return Key.custom(
        name,
        "decimal",
        def,
        "0.01..10000",
        "Send rate of " + what + " in messages per second.",
        (s, k) -> s.decimal(name, d, 0.01, MAX));
  }

  static Map<String, Double> parseSenders(String key, String raw) {
    Map<String, Double> m = new LinkedHashMap<>();
    if (raw == null || raw.isBlank()) {
      return Map.of();
    }
    for (String part : raw.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      int eq = p.lastIndexOf('=');
      if (eq <= 0) {
        throw new ConfigException(key, "expected sender=rate, got '" + p + "'");
      }
      String sender = p.substring(0, eq).trim();
      if (!SENDER.matcher(sender).matches()) {
        throw new ConfigException(
            key,
            "'"
                + sender
                + "' is not a sender (a number, whatsapp:number, short code or MG... SID)");
      }
      double rate;
      try {
        rate = Double.parseDouble(p.substring(eq + 1).trim());
      } catch (NumberFormatException e) {
        throw new ConfigException(key, "rate of '" + sender + "' is not a number");
      }
      if (!(rate >= 0.01 && rate <= MAX)) {
        throw new ConfigException(key, "rate of '" + sender + "' must be 0.01..10000");
      }
      m.put(normalise(sender), rate);
    }
    return Map.copyOf(m);
  }

  static String normalise(String sender) {
    return sender.startsWith("MG") ? sender : sender.toLowerCase(Locale.ROOT);
  }

  public static PacingSettings from(Function<String, String> lookup) {
    Settings s = new Settings(lookup);
    return new PacingSettings(
        ENABLED.read(s),
        LONG_CODE.read(s),
        TOLL_FREE.read(s),
        SHORT_CODE.read(s),
        WHATSAPP.read(s),
        MESSAGING_SERVICE.read(s),
        SENDERS.read(s));
  }

  /** The kinds of sender, each with Twilio's default rate. */
  public enum Kind {
    LONG_CODE,
    TOLL_FREE,
    SHORT_CODE,
    WHATSAPP,
    MESSAGING_SERVICE
  }

  // North American toll-free area codes (NANP): 800, 833, 844, 855, 866, 877, 888.
  private static final Pattern TOLL_FREE_NUMBER =
      Pattern.compile("\\+18(00|33|44|55|66|77|88)\\d{7}");
  private static final Pattern SHORT_CODE_NUMBER = Pattern.compile("\\d{3,8}");

  /**
   * The pacing key of a send: the Messaging Service when the row names one (Twilio paces the pool),
   * else the sender, prefixed whatsapp: on the WhatsApp channel (its own throughput).
   */
  public static String key(String channel, String from, String messagingServiceSid) {
    if (messagingServiceSid != null && !messagingServiceSid.isBlank()) {
      return messagingServiceSid.trim();
    }
    if (from == null || from.isBlank()) {
      return null;
    }
    String f = from.trim().toLowerCase(Locale.ROOT);
    if ("whatsapp".equals(channel) && !f.startsWith("whatsapp:")) {
      f = "whatsapp:" + f;
    }
    return f;
  }

  /** The kind of sender a pacing key names, from its format. */
  public static Kind kind(String key) {
    if (key.startsWith("MG")) {
      return Kind.MESSAGING_SERVICE;
    }
    if (key.startsWith("whatsapp:")) {
      return Kind.WHATSAPP;
    }
    if (TOLL_FREE_NUMBER.matcher(key).matches()) {
      return Kind.TOLL_FREE;
    }
    if (SHORT_CODE_NUMBER.matcher(key).matches()) {
      return Kind.SHORT_CODE;
    }
    return Kind.LONG_CODE;
  }

  /** The rate of a pacing key: its own, else its kind's. */
  public double rateOf(String key) {
    Double own = perSender.get(key);
    if (own != null) {
      return own;
    }
    return switch (kind(key)) {
      case LONG_CODE -> longCode;
      case TOLL_FREE -> tollFree;
      case SHORT_CODE -> shortCode;
      case WHATSAPP -> whatsapp;
      case MESSAGING_SERVICE -> messagingService;
    };
  }
}
