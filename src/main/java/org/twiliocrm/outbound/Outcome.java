package org.twiliocrm.outbound;

/**
 * What became of one row in this pass, written back by {@link OutboxRecorder}.
 *
 * @param status the row's next status: SENT, BLOCKED, FAILED (final) or RETRY, RECONCILE
 * @param reasonCode a stable code a user can filter on (OPTED_OUT, INVALID_RECIPIENT, ...)
 * @param reason readable detail
 * @param errorCode Twilio's error code, when Twilio gave one
 * @param delayMillis for RETRY and RECONCILE: how long until the row is due again
 * @param sentAt for SENT: when Twilio created the message, when that is known better than "now" (a
 *     message found by reconciliation was created before the lookup); null: the time of writing
 */
public record Outcome(
    String status,
    String reasonCode,
    String reason,
    Integer errorCode,
    String twilioSid,
    String twilioStatus,
    Integer numSegments,
    long delayMillis,
    java.time.Instant sentAt) {

  public Outcome(
      String status,
      String reasonCode,
      String reason,
      Integer errorCode,
      String twilioSid,
      String twilioStatus,
      Integer numSegments,
      long delayMillis) {
    this(
        status,
        reasonCode,
        reason,
        errorCode,
        twilioSid,
        twilioStatus,
        numSegments,
        delayMillis,
        null);
  }

  /** SENT, with the time Twilio says it created the message (its date_created). */
  public static Outcome sentAt(
      String sid, String twilioStatus, Integer segments, String note, java.time.Instant at) {
    return new Outcome("SENT", note, null, null, sid, twilioStatus, segments, 0, at);
  }

  public static Outcome sent(String sid, String twilioStatus, Integer segments, String note) {
    return new Outcome("SENT", note, null, null, sid, twilioStatus, segments, 0);
  }

  public static Outcome failed(String reasonCode, String reason, Integer errorCode) {
    return new Outcome("FAILED", reasonCode, reason, errorCode, null, null, null, 0);
  }

  public static Outcome blocked(String reasonCode, String reason) {
    return new Outcome("BLOCKED", reasonCode, reason, null, null, null, null, 0);
  }

  public static Outcome retry(String reasonCode, String reason, Integer errorCode, long delay) {
    return new Outcome("RETRY", reasonCode, reason, errorCode, null, null, null, delay);
  }

  public static Outcome reconcile(String reasonCode, String reason, Integer errorCode, long delay) {
    return new Outcome("RECONCILE", reasonCode, reason, errorCode, null, null, null, delay);
  }

  /**
   * HELD, AWAITING_APPROVAL: the policy gate held the row for a human (it wrote the hold itself,
   * with the approval request, so the recorder's write of this outcome finds no lease and is a
   * no-op; the attempt log is still written).
   */
  public static Outcome held(String reason) {
    return new Outcome("HELD", "AWAITING_APPROVAL", reason, null, null, null, null, 0);
  }

  public boolean isFinal() {
    return status.equals("SENT") || status.equals("FAILED") || status.equals("BLOCKED");
  }
}
