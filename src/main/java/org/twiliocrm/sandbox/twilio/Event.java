package org.twiliocrm.sandbox.twilio;

import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One entry of a resource's history: a status change, a callback attempt, a TwiML step...
 *
 * <p>The details are kept as the alternating keys and values they were given, not as a map: a
 * message keeps about seven entries and the sandbox keeps 10,000 messages, so a LinkedHashMap per
 * entry (about 250 bytes for two or three details) was some 17 MB of a whole-loop run's live heap.
 * The map is built only when the history is read.
 */
final class Event {
  private final Instant at;
  private final String type;
  private final Object[] keysAndValues;

  private Event(Instant at, String type, Object[] keysAndValues) {
    this.at = at;
    this.type = type;
    this.keysAndValues = keysAndValues;
  }

  /** An entry made now; {@code kv} alternates keys (strings) and values, a trailing key ignored. */
  static Event of(String type, Object... kv) {
    int n = kv.length & ~1;
    return new Event(Instant.now(), type, n == kv.length ? kv : Arrays.copyOf(kv, n));
  }

  Instant at() {
    return at;
  }

  String type() {
    return type;
  }

  /** The details in the order given. */
  Map<String, Object> details() {
    Map<String, Object> d = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      d.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return d;
  }

  Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("at", at.toString());
    m.put("type", type);
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  @Override
  public String toString() {
    return toMap().toString();
  }
}
