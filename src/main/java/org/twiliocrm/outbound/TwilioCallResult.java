package org.twiliocrm.outbound;

/**
 * What one create call to Twilio did, as facts (no policy): the kamelets put it in the {@value
 * #HEADER} header and {@link OutcomeClassifier} decides what it means for the row.
 *
 * @param kind ACCEPTED (2xx), REJECTED (Twilio answered with an error), NOT_SENT (the request never
 *     left: connection refused or connect timeout), UNKNOWN (it may have reached Twilio: read
 *     timeout, connection reset after the request was written)
 */
public record TwilioCallResult(
    Kind kind,
    String sid,
    String status,
    Integer numSegments,
    Integer httpStatus,
    Integer errorCode,
    String message) {

  public static final String HEADER = "CamelTwilioResult";

  public enum Kind {
    ACCEPTED,
    REJECTED,
    NOT_SENT,
    UNKNOWN
  }

  public static TwilioCallResult accepted(String sid, String status, Integer segments) {
    return new TwilioCallResult(Kind.ACCEPTED, sid, status, segments, null, null, null);
  }
}
