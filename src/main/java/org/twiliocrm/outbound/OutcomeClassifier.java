package org.twiliocrm.outbound;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Turns what Twilio did ({@link TwilioCallResult}) into what becomes of the row.
 *
 * <ul>
 *   <li><b>Permanent</b>: Twilio answered 4xx with a code (21211 invalid To, 21610 opted out, 21612
 *       cannot route, 21614 not mobile, 21408 region, 20003 auth, ...) → FAILED with code and
 *       message. Sending again would fail the same way.
 *   <li><b>Transient</b>: nothing was created and a later try may work (429 / 20429 too many
 *       requests, 503, 21611 sender queue full, a connection that was never made) → RETRY with
 *       exponential backoff and jitter, FAILED (RETRIES_EXHAUSTED) after the configured attempts.
 *   <li><b>Ambiguous</b>: the request may have reached Twilio (read timeout, a reset after writing,
 *       any other 5xx on create) → RECONCILE: look it up before any resend, per the channel's
 *       policy. Never a blind resend.
 * </ul>
 */
public final class OutcomeClassifier {
  /** Codes Twilio answers 4xx with that mean "nothing was created, try again later". */
  static final Set<Integer> TRANSIENT_CODES = Set.of(20429, 21611);

  private final int maxAttempts;
  private final Duration initial;
  private final Duration max;
  private final Duration reconcileDelay;

  public OutcomeClassifier(
      int maxAttempts, Duration initial, Duration max, Duration reconcileDelay) {
    this.maxAttempts = maxAttempts;
    this.initial = initial;
    this.max = max;
    this.reconcileDelay = reconcileDelay;
  }

  /** Route step "classify": reads the kamelet's result header and decides the row's outcome. */
  public void classify(OutboxWork work, TwilioCallResult r) {
    if (work.isDecided()) {
      return;
    }
    if (r == null) {
      work.decide(Outcome.reconcile("NO_RESULT", "the send step reported nothing", null, 0));
      work.log("SEND", "AMBIGUOUS", null, null, null, "no result from the send step");
      return;
    }
    Outcome o = decide(r, work.getAttemptNumber(), work.getSegments());
    work.decide(o);
    work.log(
        "SEND",
        switch (o.status()) {
          case "SENT" -> "SENT";
          case "RETRY" -> "TRANSIENT";
          case "RECONCILE" -> "AMBIGUOUS";
          default ->
              o.reasonCode().equals("RETRIES_EXHAUSTED") ? "TRANSIENT_EXHAUSTED" : "PERMANENT";
        },
        r.sid(),
        r.httpStatus(),
        r.errorCode(),
        r.message());
  }

  Outcome decide(TwilioCallResult r, int attempt, Integer segments) {
    switch (r.kind()) {
      case ACCEPTED:
        return Outcome.sent(
            r.sid(), r.status(), r.numSegments() != null ? r.numSegments() : segments, null);
      case NOT_SENT:
        return transientOrExhausted("CONNECT_FAILED", r.message(), null, attempt);
      case UNKNOWN:
        return Outcome.reconcile(
            "AMBIGUOUS", "may have reached Twilio: " + r.message(), null, delayForReconcile());
      case REJECTED:
      default:
        int http = r.httpStatus() == null ? 0 : r.httpStatus();
        Integer code = r.errorCode();
        String msg = r.message();
        if (http == 429 || http == 503 || (code != null && TRANSIENT_CODES.contains(code))) {
          return transientOrExhausted(
              http == 429 ? "TOO_MANY_REQUESTS" : http == 503 ? "UNAVAILABLE" : "TWILIO_BUSY",
              msg,
              code,
              attempt);
        }
        if (http >= 500) {
          return Outcome.reconcile(
              "AMBIGUOUS", "HTTP " + http + " on create: " + msg, code, delayForReconcile());
        }
        return Outcome.failed("TWILIO_REJECTED", msg, code);
    }
  }

  private Outcome transientOrExhausted(String reasonCode, String msg, Integer code, int attempt) {
    if (attempt >= maxAttempts) {
      return Outcome.failed(
          "RETRIES_EXHAUSTED", reasonCode + " after " + attempt + " attempts: " + msg, code);
    }
    return Outcome.retry(reasonCode, msg, code, backoffMillis(attempt));
  }

  /** Exponential backoff with equal jitter: half the step fixed, half random. */
  long backoffMillis(int attempt) {
    long step = initial.toMillis() << Math.min(20, Math.max(0, attempt - 1));
    long cap = Math.min(max.toMillis(), step);
    long half = cap / 2;
    return half + ThreadLocalRandom.current().nextLong(half + 1);
  }

  private long delayForReconcile() {
    return reconcileDelay.toMillis();
  }
}
