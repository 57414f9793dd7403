package org.twiliocrm.sandbox.salesforce;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Faults switched on by tests and demos: a fraction of calls answered 503, added latency, the whole
 * org down until a given instant, and writes whose answer is lost after they committed.
 */
public final class Faults {
  private final Clock clock;
  private volatile double unavailableRate;
  private volatile long latencyMillis;
  private volatile long downUntilMillis;
  private final AtomicInteger lostResponses = new AtomicInteger();
  private volatile String lostResponsesFor;

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

  /**
   * The next {@code n} data API writes (POST, PATCH, PUT, DELETE) are carried out and committed,
   * then their connection is closed without an answer: what a client sees when it, or the network
   * between, dies after Salesforce did the work. Its records exist; it cannot know their ids.
   * {@code endpoint}: only writes to this endpoint, as the API usage counts name it (e.g. {@code
   * "POST composite/sobjects"}); null for any write.
   */
  public void loseResponses(int n, String endpoint) {
    if (n < 0) {
      throw new IllegalArgumentException("lostResponses must be >= 0, got " + n);
    }
    lostResponsesFor = endpoint == null || endpoint.isBlank() ? null : endpoint;
    lostResponses.set(n);
  }

  /**
   * Whether the answer to this write (its endpoint key) is to be lost; takes one from the count.
   */
  boolean takeLostResponse(String endpoint) {
    String only = lostResponsesFor;
    if (only != null && !only.equals(endpoint)) {
      return false;
    }
    return lostResponses.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
  }

  public void clear() {
    lostResponses.set(0);
    lostResponsesFor = null;
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
    m.put("lostResponses", lostResponses.get());
    m.put("lostResponsesFor", lostResponsesFor == null ? "any write" : lostResponsesFor);
    return m;
  }
}
