package org.twiliocrm.outbound;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Turns what Twilio did ({@link TwilioCallResult}) into what becomes of the row.
 *
 * <ul>
 *   <li><b>Permanent</b>: Twilio answered 4xx with a code (21211 invalid To, 21606 From not owned,
 *       21610 opted out, 21612 cannot route, 21614 not mobile, 21408 region, 20003 auth, ...; see
 *       {@link #CODES}) → FAILED with the code and a readable reason. Sending again would fail the
 *       same way.
 *   <li><b>Transient</b>: nothing was created and a later try may work (429 / 20429 too many
 *       requests, 503, 21611 sender queue full, a connection that was never made) → RETRY with
 *       exponential backoff and jitter, FAILED (RETRIES_EXHAUSTED) after the configured attempts.
 *   <li><b>Ambiguous</b>: the request may have reached Twilio (read timeout, a reset after writing,
 *       any other 5xx on create) → RECONCILE: look it up before any resend, per the channel's
 *       policy. Never a blind resend.
 * </ul>
 */
public final class OutcomeClassifier {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(OutcomeClassifier.class);

  /** What a Twilio error code at create means for the row: can a later try help, and why. */
  record Code(boolean transientError, String meaning) {}

  /**
   * The create-time codes the connector knows (Twilio's error pages and its test-credential magic
   * numbers; docs/outbox.md lists them). Transient: nothing was created and the same request may
   * succeed later. Everything else Twilio refuses with a 4xx is permanent: sending again fails the
   * same way. A code not listed is permanent too, with Twilio's own message as the reason.
   */
  static final Map<Integer, Code> CODES =
      Map.ofEntries(
          transientCode(20429, "too many concurrent requests to Twilio; nothing was created"),
          transientCode(
              21611,
              "the sender's queue at Twilio is full (about 10 hours of its rate); nothing was"
                  + " created"),
          permanent(
              20003, "Twilio refused the credentials: check twilio.account-sid and the token/key"),
          permanent(21210, "the caller ID (From) is not a number this account owns or verified"),
          permanent(21211, "the recipient (To) is not a valid phone number"),
          permanent(
              21212, "the sender (From) is not a valid phone number, short code or sender ID"),
          permanent(21214, "the recipient (To) cannot be reached by a call"),
          permanent(21215, "the account may not call the recipient's region (geo permissions)"),
          permanent(21216, "the account may not call the recipient (blocked)"),
          permanent(21217, "the recipient (To) is not a valid phone number to call"),
          permanent(21408, "the account may not message the recipient's region (geo permissions)"),
          permanent(
              21606,
              "the sender (From) is not a number this Twilio account owns, or it cannot send to"
                  + " this destination"),
          permanent(21610, "the recipient opted out (STOP) from this sender"),
          permanent(21612, "Twilio cannot route to the recipient from this sender"),
          permanent(21614, "the recipient is not a mobile number and cannot receive SMS"),
          permanent(21617, "the body exceeds Twilio's 1,600-character limit"),
          permanent(21701, "the Messaging Service does not exist in this Twilio account"),
          permanent(21705, "the Messaging Service SID is malformed"),
          permanent(21910, "From and To are not on the same channel (SMS vs WhatsApp)"),
          permanent(63007, "the WhatsApp sender (From) is not a WhatsApp sender of this account"));

  /**
   * Codes Twilio reports after a message was accepted (the status callback's ErrorCode on
   * undelivered or failed), from Twilio's error dictionary. They never reach {@link #decide}: the
   * row is SENT by then; the operator console's dashboard names them.
   */
  static final Map<Integer, String> DELIVERY_CODES =
      Map.ofEntries(
          Map.entry(30001, "queue overflow: Twilio could not send it in time"),
          Map.entry(30002, "the Twilio account is suspended"),
          Map.entry(30003, "unreachable destination handset (off, or out of coverage)"),
          Map.entry(30004, "message blocked by the recipient or the carrier"),
          Map.entry(30005, "unknown destination handset (the number does not exist)"),
          Map.entry(30006, "landline or unreachable carrier"),
          Map.entry(30007, "message filtered by the carrier (spam or content rules)"),
          Map.entry(30008, "unknown error from the carrier"),
          Map.entry(30034, "US A2P 10DLC: the sender is not registered to a campaign"));

  /**
   * What a Twilio error code means, for people: a create-time code the classifier knows, a delivery
   * code from a status callback, or empty when the connector does not know it.
   */
  public static java.util.Optional<String> meaning(int code) {
    Code known = CODES.get(code);
    if (known != null) {
      return java.util.Optional.of(known.meaning());
    }
    return java.util.Optional.ofNullable(DELIVERY_CODES.get(code));
  }

  /**
   * Reason codes of FAILED rows that nothing was created for at Twilio and that a later try may
   * fix: every transient failure ends as RETRIES_EXHAUSTED once its attempts run out. Ambiguous
   * ends (AMBIGUOUS_*) may have reached Twilio and are never resent.
   */
  public static final java.util.Set<String> TRANSIENT_FAILURES =
      java.util.Set.of("RETRIES_EXHAUSTED");

  private static Map.Entry<Integer, Code> transientCode(int code, String meaning) {
    return Map.entry(code, new Code(true, meaning));
  }

  private static Map.Entry<Integer, Code> permanent(int code, String meaning) {
    return Map.entry(code, new Code(false, meaning));
  }

  /** A readable reason: what the code means, then Twilio's own words. */
  static String reason(Integer code, int http, String twilioMessage) {
    Code known = code == null ? null : CODES.get(code);
    String said = twilioMessage == null || twilioMessage.isBlank() ? "" : ": " + twilioMessage;
    if (known == null) {
      return "Twilio refused the request (HTTP "
          + http
          + (code == null ? "" : ", code " + code)
          + ")"
          + said;
    }
    return known.meaning() + " (Twilio " + code + said + ")";
  }

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
    // One line per send at DEBUG; the MDC (connector.log.mdc) carries outboxId and traceId.
    if (LOG.isDebugEnabled()) {
      LOG.debug(
          "outbox send: {} {} {}",
          o.status(),
          o.reasonCode() == null ? "-" : o.reasonCode(),
          r.sid() == null ? "-" : r.sid());
    }
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
        Code known = code == null ? null : CODES.get(code);
        if (http == 429 || http == 503 || (known != null && known.transientError())) {
          return transientOrExhausted(
              http == 429 ? "TOO_MANY_REQUESTS" : http == 503 ? "UNAVAILABLE" : "TWILIO_BUSY",
              known != null ? reason(code, http, msg) : msg,
              code,
              attempt);
        }
        if (http >= 500) {
          return Outcome.reconcile(
              "AMBIGUOUS", "HTTP " + http + " on create: " + msg, code, delayForReconcile());
        }
        return Outcome.failed("TWILIO_REJECTED", reason(code, http, msg), code);
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
