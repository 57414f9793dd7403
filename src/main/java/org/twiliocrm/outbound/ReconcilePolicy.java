package org.twiliocrm.outbound;

/**
 * What to do with a row whose send may or may not have reached Twilio (read timeout, 5xx on create,
 * a crash mid-send), per channel.
 */
public enum ReconcilePolicy {
  /** Look the message up in Twilio; resend only when it is not there. */
  LOOKUP_THEN_RESEND,
  /** Look it up; when it is not there, fail the row rather than risk a duplicate. */
  LOOKUP_THEN_FAIL,
  /** Never resend and never look up (Verify: an OTP must not be sent twice). */
  NEVER_RESEND
}
