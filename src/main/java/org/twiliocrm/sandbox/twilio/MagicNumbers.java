package org.twiliocrm.sandbox.twilio;

import java.util.List;
import java.util.Optional;

/**
 * Twilio's magic test numbers, the one table the sandbox answers them from (Twilio's "Test
 * Credentials" page: test inputs for SMS and for calls). Each entry says which resource and which
 * parameter it applies to, and the error Twilio answers at create (always HTTP 400), or none for
 * the number that "passes all validation". docs/twilio-sandbox.md lists the same table for users;
 * keep them together.
 */
public final class MagicNumbers {
  private MagicNumbers() {}

  /** The API resource a magic number applies to. */
  public enum Resource {
    MESSAGES,
    CALLS
  }

  /** The request parameter a magic number is recognised in. */
  public enum Param {
    FROM,
    TO
  }

  /**
   * One magic number.
   *
   * @param code Twilio's error code, or null when the number is valid
   * @param message Twilio's error message; {@code %s} is replaced by the masked number
   */
  public record Entry(Resource resource, Param param, String number, Integer code, String message) {
    ApiError error() {
      return ApiError.badRequest(code, message.formatted(Wire.mask(number)));
    }
  }

  /** The valid magic sender: with test credentials it passes every check, SMS and calls alike. */
  public static final String VALID_FROM = "+15005550006";

  /** Twilio's 21606 text, for the magic not-owned number and every other From not owned. */
  static final String NOT_OWNED_MESSAGE =
      "The 'From' phone number provided (%s) is not a valid message-capable Twilio phone number"
          + " for this destination/account.";

  public static final List<Entry> TABLE =
      List.of(
          new Entry(Resource.MESSAGES, Param.FROM, VALID_FROM, null, "passes all validation"),
          new Entry(
              Resource.MESSAGES,
              Param.FROM,
              "+15005550001",
              21212,
              "The 'From' number %s is not a valid phone number, shortcode, or alphanumeric sender"
                  + " ID."),
          new Entry(Resource.MESSAGES, Param.FROM, "+15005550007", 21606, NOT_OWNED_MESSAGE),
          new Entry(
              Resource.MESSAGES,
              Param.FROM,
              "+15005550008",
              21611,
              "This 'From' number has exceeded the maximum number of queued messages"),
          new Entry(
              Resource.MESSAGES, Param.TO, "+15005550001", 21211, "Invalid 'To' Phone Number: %s"),
          new Entry(
              Resource.MESSAGES,
              Param.TO,
              "+15005550002",
              21612,
              "The 'To' phone number: %s, is not currently reachable using the 'From' phone number"
                  + " via SMS."),
          new Entry(
              Resource.MESSAGES,
              Param.TO,
              "+15005550003",
              21408,
              "Permission to send an SMS has not been enabled for the region indicated by the 'To'"
                  + " number: %s"),
          new Entry(
              Resource.MESSAGES,
              Param.TO,
              "+15005550004",
              21610,
              "Attempt to send to unsubscribed recipient"),
          new Entry(
              Resource.MESSAGES,
              Param.TO,
              "+15005550009",
              21614,
              "'To' number %s is not a valid mobile number"),
          new Entry(Resource.CALLS, Param.FROM, VALID_FROM, null, "passes all validation"),
          new Entry(
              Resource.CALLS, Param.FROM, "+15005550001", 21212, "Invalid 'From' Phone Number: %s"),
          new Entry(
              Resource.CALLS, Param.TO, "+15005550001", 21217, "Phone number %s is not valid."),
          new Entry(
              Resource.CALLS,
              Param.TO,
              "+15005550002",
              21214,
              "'To' phone number %s cannot be reached."),
          new Entry(
              Resource.CALLS,
              Param.TO,
              "+15005550003",
              21215,
              "Account not authorized to call %s. Perhaps you need to enable some international"
                  + " permissions."),
          new Entry(
              Resource.CALLS, Param.TO, "+15005550004", 21216, "Account not allowed to call %s"));

  /** The table's entry for a bare number ({@code whatsapp:} already removed), if any. */
  public static Optional<Entry> find(Resource resource, Param param, String number) {
    for (Entry e : TABLE) {
      if (e.resource == resource && e.param == param && e.number.equals(number)) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }

  /** Throws Twilio's error if the number is a magic error number for this resource and param. */
  static void check(Resource resource, Param param, String number) {
    find(resource, param, number)
        .filter(e -> e.code() != null)
        .ifPresent(
            e -> {
              throw e.error();
            });
  }

  /** Whether a number is a magic error number as a sender (it may not be configured as owned). */
  static boolean isErrorSender(String number) {
    return TABLE.stream()
        .anyMatch(e -> e.param == Param.FROM && e.code != null && e.number.equals(number));
  }
}
