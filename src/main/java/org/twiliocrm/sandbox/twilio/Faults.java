package org.twiliocrm.sandbox.twilio;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Faults injected on demand through {@code /sandbox/faults}. Rates are probabilities 0..1 per API
 * request (or per callback). Immutable; the sandbox swaps the whole object atomically.
 */
record Faults(
    double error500Rate,
    double error503Rate,
    int latencyMillis,
    int jitterMillis,
    double resetRate,
    double createdButErrorRate,
    Integer maxInFlight,
    double callbackFailureRate,
    double duplicateCallbackRate,
    double outOfOrderCallbackRate,
    int outOfOrderDelayMillis) {

  static final Faults NONE = new Faults(0, 0, 0, 0, 0, 0, null, 0, 0, 0, 500);

  static boolean roll(double rate) {
    return rate > 0 && (rate >= 1 || ThreadLocalRandom.current().nextDouble() < rate);
  }

  int latency() {
    int j = jitterMillis > 0 ? ThreadLocalRandom.current().nextInt(jitterMillis + 1) : 0;
    return latencyMillis + j;
  }

  boolean any() {
    return !equals(NONE);
  }

  /** Applies a JSON patch (names as in {@link #toMap()}); unknown names are an error. */
  Faults with(Map<String, Object> patch) {
    Map<String, Object> m = toMap();
    for (Map.Entry<String, Object> e : patch.entrySet()) {
      if (!m.containsKey(e.getKey())) {
        throw new IllegalArgumentException(
            "unknown fault '" + e.getKey() + "', known: " + m.keySet());
      }
      m.put(e.getKey(), e.getValue());
    }
    Faults f =
        new Faults(
            rate(m, "error500Rate"),
            rate(m, "error503Rate"),
            millis(m, "latencyMillis"),
            millis(m, "jitterMillis"),
            rate(m, "resetRate"),
            rate(m, "createdButErrorRate"),
            m.get("maxInFlight") == null ? null : millis(m, "maxInFlight"),
            rate(m, "callbackFailureRate"),
            rate(m, "duplicateCallbackRate"),
            rate(m, "outOfOrderCallbackRate"),
            millis(m, "outOfOrderDelayMillis"));
    return f;
  }

  Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("error500Rate", error500Rate);
    m.put("error503Rate", error503Rate);
    m.put("latencyMillis", latencyMillis);
    m.put("jitterMillis", jitterMillis);
    m.put("resetRate", resetRate);
    m.put("createdButErrorRate", createdButErrorRate);
    m.put("maxInFlight", maxInFlight);
    m.put("callbackFailureRate", callbackFailureRate);
    m.put("duplicateCallbackRate", duplicateCallbackRate);
    m.put("outOfOrderCallbackRate", outOfOrderCallbackRate);
    m.put("outOfOrderDelayMillis", outOfOrderDelayMillis);
    return m;
  }

  private static double rate(Map<String, Object> m, String k) {
    Object v = m.get(k);
    double d = v instanceof Number n ? n.doubleValue() : Double.NaN;
    if (!(d >= 0 && d <= 1)) {
      throw new IllegalArgumentException(k + ": must be a number 0..1, got " + v);
    }
    return d;
  }

  private static int millis(Map<String, Object> m, String k) {
    Object v = m.get(k);
    if (!(v instanceof Number n) || n.intValue() < 0 || n.doubleValue() != n.intValue()) {
      throw new IllegalArgumentException(k + ": must be a non-negative integer, got " + v);
    }
    return n.intValue();
  }
}
