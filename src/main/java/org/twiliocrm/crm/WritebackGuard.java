package org.twiliocrm.crm;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The write-back's backoff and its guard against late requests, shared by every write-back sink so
 * that one failing call pauses them all (the org is down for all objects at once).
 *
 * <p>Backoff: a failed call (org down, 503, API limit) pauses the write-back, doubling from {@code
 * initial} to {@code max}; records stay in the database meanwhile.
 *
 * <p>Guard: a call that failed in an unknown way (a timeout) may still land later. A success that
 * comes soon after such a failure is not trusted: the record is written once more after {@link
 * #SUSPECT_GUARD}, so a stale request that lands late cannot leave an older state in Salesforce.
 */
final class WritebackGuard {
  static final Duration SUSPECT_GUARD = Duration.ofSeconds(10);

  private final Duration initial;
  private final Duration max;
  private final Map<String, Instant> suspects = new ConcurrentHashMap<>();
  private volatile Instant pausedUntil = Instant.EPOCH;
  private int consecutiveFailures;

  WritebackGuard(Duration initial, Duration max) {
    this.initial = initial;
    this.max = max;
  }

  boolean paused() {
    return Instant.now().isBefore(pausedUntil);
  }

  synchronized void succeeded() {
    consecutiveFailures = 0;
    pausedUntil = Instant.EPOCH;
  }

  /**
   * A call failed as a whole. Records whose outcome is unknown become suspects; returns the pause.
   */
  Duration failed(Throwable cause, List<String> keys) {
    if (!definite(cause)) {
      Instant now = Instant.now();
      keys.forEach(k -> suspects.put(k, now));
    }
    synchronized (this) {
      consecutiveFailures++;
      long factor = 1L << Math.min(20, consecutiveFailures - 1);
      Duration wait = initial.multipliedBy(factor);
      if (wait.compareTo(max) > 0) {
        wait = max;
      }
      pausedUntil = Instant.now().plus(wait);
      return wait;
    }
  }

  synchronized int consecutiveFailures() {
    return consecutiveFailures;
  }

  /**
   * After a successful write of {@code key}: the time to write it again if an earlier failed
   * request for it may still land, else null.
   */
  Instant rewriteAt(String key) {
    Instant failedAt = suspects.remove(key);
    if (failedAt != null && Instant.now().isBefore(failedAt.plus(SUSPECT_GUARD))) {
      return failedAt.plus(SUSPECT_GUARD);
    }
    return null;
  }

  /** The longest a record Salesforce rejected on its own waits before it is tried again. */
  Instant retryRejectedAt() {
    return Instant.now().plus(max);
  }

  /**
   * A refusal with an HTTP status (503 org down, 403 limit) was not applied: nothing to fear.
   * Anything else (timeout, connection reset) may still land later.
   */
  private static boolean definite(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof org.apache.camel.component.salesforce.api.SalesforceException se
          && se.getStatusCode() >= 400) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }
}
