package org.twiliocrm.outbound;

import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.twiliocrm.config.ConfigException;
import org.twiliocrm.config.Key;
import org.twiliocrm.config.Settings;
import org.twiliocrm.governance.Channel;

/**
 * Settings of the channel fallback ({@code outbox.fallback.*}, docs/outbox.md#channel-fallback).
 *
 * @param enabled whether failed rows with a chain queue their next channel at all
 * @param creationCodes Twilio error codes at creation that another channel avoids (63016 outside
 *     the WhatsApp 24-hour window, ...): a row refused with one of them falls back at once
 * @param senders the sender of a fallback step per channel; a channel not listed takes the failed
 *     row's sender (its {@code whatsapp:} prefix removed or added) or Messaging Service
 */
public record FallbackSettings(
    boolean enabled, Set<Integer> creationCodes, Map<Channel, String> senders) {

  public static final Key<Boolean> ENABLED =
      Key.bool(
          "outbox.fallback.enabled",
          true,
          "Whether a row with a fallback chain (its fallback_chain, or its template's fallback)"
              + " queues the next channel when it fails for good.");
  public static final Key<Set<Integer>> CREATION_CODES =
      Key.custom(
          "outbox.fallback.creation-codes",
          "list",
          "63016,63003,21614",
          "Twilio error codes, comma-separated",
          "Twilio error codes at creation that another channel avoids, so a row refused with one"
              + " falls back at once (63016 outside the WhatsApp 24-hour window, 63003 not a"
              + " WhatsApp user, 21614 not a mobile number).",
          (s, k) -> codes(k.name(), k.rawOrDefault(s)));
  public static final Key<Map<Channel, String>> SENDERS =
      Key.custom(
          "outbox.fallback.senders",
          "map",
          "",
          "channel=sender, comma-separated (sms, mms, whatsapp, voice)",
          "Sender of a fallback step per channel, e.g. sms=+15005550006,voice=+15005550006; a"
              + " channel not listed uses the failed row's sender (whatsapp: prefix adjusted) or"
              + " Messaging Service.",
          (s, k) -> senders(k.name(), k.rawOrDefault(s)));

  public static final List<Key<?>> KEYS = List.of(ENABLED, CREATION_CODES, SENDERS);

  public FallbackSettings {
    creationCodes = Set.copyOf(creationCodes);
    senders = Map.copyOf(senders);
  }

  public static FallbackSettings defaults() {
    return from(k -> null);
  }

  public static FallbackSettings from(Function<String, String> lookup) {
    try {
      Settings s = new Settings(lookup);
      return new FallbackSettings(ENABLED.read(s), CREATION_CODES.read(s), SENDERS.read(s));
    } catch (ConfigException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  private static Set<Integer> codes(String key, String raw) {
    Set<Integer> out = new LinkedHashSet<>();
    if (raw == null) {
      return out;
    }
    for (String c : raw.split(",")) {
      if (c.isBlank()) {
        continue;
      }
      try {
        out.add(Integer.valueOf(c.trim()));
      } catch (NumberFormatException e) {
        throw new ConfigException(key, "'" + c.trim() + "' is not a Twilio error code");
      }
    }
    return out;
  }

  private static Map<Channel, String> senders(String key, String raw) {
    Map<Channel, String> out = new EnumMap<>(Channel.class);
    if (raw == null) {
      return out;
    }
    for (String item : raw.split(",")) {
      if (item.isBlank()) {
        continue;
      }
      int eq = item.indexOf('=');
      if (eq <= 0 || eq == item.length() - 1) {
        throw new ConfigException(key, "each entry is channel=sender, got '" + item.trim() + "'");
      }
      Channel c;
      try {
        c = Channel.of(item.substring(0, eq));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(
            key,
            "unknown channel '" + item.substring(0, eq).trim() + "' (sms, mms, whatsapp, voice)");
      }
      out.put(c, item.substring(eq + 1).trim());
    }
    return out;
  }
}
