package org.twiliocrm.governance;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A channel fallback chain as a row's {@code fallback_chain} column or a template's {@code
 * fallback:} names it, e.g. {@code whatsapp,sms,voice}: the channels to try in order. The next step
 * after a row is the channel after the row's own in the chain; a row whose channel is not in the
 * chain starts it from the top (so {@code sms,voice} on a WhatsApp row means whatsapp → sms →
 * voice).
 *
 * <p>Channels: sms, mms, whatsapp, voice (Verify has its own channel choice), each at most once, so
 * a chain always ends.
 */
public record FallbackChain(List<Channel> channels) {
  /** The longest chain: every channel a fallback may use, once. */
  public static final int MAX = 4;

  public FallbackChain {
    channels = List.copyOf(channels);
  }

  /**
   * Parses {@code whatsapp,sms,voice} (commas, optional spaces); a problem is an {@link
   * IllegalArgumentException} whose message says what is wrong.
   */
  public static FallbackChain parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("the chain is empty");
    }
    List<String> names = new ArrayList<>();
    for (String s : text.split(",")) {
      names.add(s.trim());
    }
    return of(names);
  }

  /** The chain from channel names (a template's YAML list). */
  public static FallbackChain of(List<String> names) {
    List<Channel> out = new ArrayList<>();
    for (String n : names) {
      String name = n == null ? "" : n.trim().toLowerCase(Locale.ROOT);
      Channel c;
      try {
        c = Channel.of(name);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "unknown channel '" + name + "' (sms, mms, whatsapp, voice)");
      }
      if (c == Channel.VERIFY) {
        throw new IllegalArgumentException(
            "verify cannot be in a fallback chain (Verify chooses its own channel)");
      }
      if (out.contains(c)) {
        throw new IllegalArgumentException("channel '" + name + "' appears twice");
      }
      out.add(c);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("the chain is empty");
    }
    return new FallbackChain(out);
  }

  /** Whether {@code text} is a valid chain; the problem when it is not. */
  public static Optional<String> problem(String text) {
    try {
      parse(text);
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of(e.getMessage());
    }
  }

  /** The channel to try after a row on {@code current} failed; empty at the end of the chain. */
  public Optional<Channel> next(Channel current) {
    int at = channels.indexOf(current);
    int next = at + 1;
    return next < channels.size() ? Optional.of(channels.get(next)) : Optional.empty();
  }

  /** The column form: {@code whatsapp,sms,voice}. */
  public String text() {
    return String.join(",", channels.stream().map(Channel::column).toList());
  }

  @Override
  public String toString() {
    return text();
  }
}
