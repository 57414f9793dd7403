package org.twiliocrm.webhook;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WARN line per rejected webhook request, rate-limited, never a stack trace: anyone who can
 * reach the endpoint can send bad requests, and must not be able to flood the log with them. The
 * metric {@code twiliocrm_webhook_rejected_total} counts every rejection; this log only samples
 * them, and says how many lines it left out.
 */
public final class RejectionLog {
  private static final Logger LOG = LoggerFactory.getLogger(RejectionLog.class);

  private final Bucket bucket;
  private final AtomicLong suppressed = new AtomicLong();

  /** At most {@code perMinute} lines a minute (bursts up to that many). */
  public RejectionLog(int perMinute) {
    this.bucket =
        Bucket.builder()
            .addLimit(
                Bandwidth.builder()
                    .capacity(perMinute)
                    .refillGreedy(perMinute, Duration.ofMinutes(1))
                    .build())
            .build();
  }

  /**
   * Logs the rejection unless the rate limit is spent. {@code detail} must hold no request data (no
   * parameter values, no phone numbers): an exception class name at most.
   */
  public void rejected(int status, String reason, String endpoint, String detail) {
    if (!bucket.tryConsume(1)) {
      suppressed.incrementAndGet();
      return;
    }
    long skipped = suppressed.getAndSet(0);
    LOG.warn(
        "webhook rejected: {} {} on {}{}{}",
        status,
        reason,
        endpoint,
        detail == null ? "" : " (" + detail + ")",
        skipped == 0 ? "" : " [" + skipped + " similar line(s) suppressed]");
  }
}
