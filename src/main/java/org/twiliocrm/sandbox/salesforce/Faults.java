package org.twiliocrm.sandbox.salesforce;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Faults switched on by tests and demos: a fraction of calls answered 503, added latency, and the
 * whole org down until a given instant.
 */
public final class Faults {
  private final Clock clock;
  private volatile double unavailableRate;
  private volatile long latencyMillis;
  private volatile long downUntilMillis;

  Faults(Clock clock) {
    this.clock = clock;
  }

  /** Fraction (0..1) of REST/OAuth/streaming calls answered with 503. */
  public void setUnavailableRate(double rate) {
    if (rate < 0 || rate > 1) {
      throw new IllegalArgumentException("unavailableRate must be within 0..1, got " + rate);
    }
    this.unavailableRate = rate;
  }

  public void setLatencyMillis(long millis) {
    if (millis < 0) {
      throw new IllegalArgumentException("latencyMillis must be >= 0, got " + millis);
    }
    this.latencyMillis = millis;
  }

  /** Takes the org down for the given number of milliseconds from now (0 = up again). */
  public void orgDownFor(long millis) {
    this.downUntilMillis = millis <= 0 ? 0 : clock.millis() + millis;
  }

  public boolean orgDown() {
    return clock.millis() < downUntilMillis;
  }

  /** Decides whether this call fails with 503 (random draw against the configured rate). */
  public boolean drawUnavailable() {
    double rate = unavailableRate;
    return rate > 0 && ThreadLocalRandom.current().nextDouble() < rate;
  }

  public long latencyMillis() {
    return latencyMillis;
  }

  public void clear() {
    unavailableRate = 0;
    latencyMillis = 0;
    downUntilMillis = 0;
  }

  public Map<String, Object> snapshot() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("unavailableRate", unavailableRate);
    m.put("latencyMillis", latencyMillis);
    m.put("orgDown", orgDown());
    m.put("orgDownRemainingMillis", Math.max(0, downUntilMillis - clock.millis()));
    return m;
  }
}
