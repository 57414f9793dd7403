package org.twiliocrm.sandbox.salesforce;

import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts API calls per endpoint and against the daily REST limit. Counts are readable so benchmarks
 * can report API calls per message.
 */
public final class ApiUsage {
  private final Clock clock;
  private final Map<String, AtomicLong> byEndpoint = new ConcurrentHashMap<>();
  private volatile long dailyLimit;
  private long dailyUsed;
  private LocalDate day;

  ApiUsage(Clock clock, long dailyLimit) {
    this.clock = clock;
    this.dailyLimit = dailyLimit;
    this.day = LocalDate.now(clock.withZone(ZoneOffset.UTC));
  }

  /** Counts a call that does not consume the daily REST allowance (OAuth, streaming). */
  public void count(String endpoint) {
    byEndpoint.computeIfAbsent(endpoint, k -> new AtomicLong()).incrementAndGet();
  }

  private final Map<String, AtomicLong> queriesByObject = new ConcurrentHashMap<>();

  /** Counts a SOQL query by the object after its first FROM (already counted as "GET query"). */
  public void countQuery(String object) {
    queriesByObject.computeIfAbsent(object, k -> new AtomicLong()).incrementAndGet();
  }

  /** SOQL queries per object (first FROM), since start or reset. */
  public Map<String, Long> queriesByObject() {
    Map<String, Long> out = new TreeMap<>();
    queriesByObject.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /**
   * Consumes one unit of the daily allowance.
   *
   * @return the usage after this call, or -1 when the limit was already used up
   */
  public synchronized long consume() {
    LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
    if (!today.equals(day)) {
      day = today;
      dailyUsed = 0;
    }
    if (dailyUsed >= dailyLimit) {
      return -1;
    }
    return ++dailyUsed;
  }

  public synchronized long dailyUsed() {
    return dailyUsed;
  }

  public long dailyLimit() {
    return dailyLimit;
  }

  public void setDailyLimit(long limit) {
    this.dailyLimit = limit;
  }

  /** Pretends today's usage leaves only {@code remaining} calls (limits near exhaustion). */
  public synchronized void setDailyRemaining(long remaining) {
    dailyUsed = Math.max(0, dailyLimit - Math.max(0, remaining));
  }

  private volatile int streamingClientsMax = 2000;

  /** Max concurrent streaming clients (/limits DurableStreamingApiConcurrentClients). */
  public int streamingClientsMax() {
    return streamingClientsMax;
  }

  public void setStreamingClientsMax(int max) {
    this.streamingClientsMax = max;
  }

  /** Calls per endpoint, e.g. {@code "PATCH sobjects/Twilio_Message__c/Message_Sid__c/{value}"}. */
  public Map<String, Long> byEndpoint() {
    Map<String, Long> out = new TreeMap<>();
    byEndpoint.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  public long total() {
    return byEndpoint.values().stream().mapToLong(AtomicLong::get).sum();
  }

  public synchronized Map<String, Object> snapshot() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dailyUsed", dailyUsed);
    m.put("dailyLimit", dailyLimit);
    m.put("total", total());
    m.put("byEndpoint", byEndpoint());
    m.put("queriesByObject", queriesByObject());
    return m;
  }

  public synchronized void reset() {
    streamingClientsMax = 2000;
    byEndpoint.clear();
    queriesByObject.clear();
    dailyUsed = 0;
  }
}
