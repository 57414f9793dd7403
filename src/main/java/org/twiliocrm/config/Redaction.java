package org.twiliocrm.config;

/** Masks secrets and phone numbers before they reach a log line, a banner or an error message. */
public final class Redaction {
  private Redaction() {}

  /** Keeps nothing of a secret but whether it is set and its length class. */
  public static String secret(String value) {
    if (value == null || value.isEmpty()) {
      return "(unset)";
    }
    return "****(" + value.length() + " chars)";
  }

  /** Keeps a phone number's prefix (channel, plus sign) and its last four digits: +*******0123. */
  public static String phone(String value) {
    if (value == null) {
      return "null";
    }
    int keepFrom = Math.max(0, value.length() - 4);
    StringBuilder sb = new StringBuilder(value.length());
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      sb.append(
          i < keepFrom && Character.isLetterOrDigit(c) && !isChannelPrefix(value, i) ? '*' : c);
    }
    return sb.toString();
  }

  private static final java.util.regex.Pattern DIGIT_RUN =
      java.util.regex.Pattern.compile("\\d{5,}(?=\\d{4})");

  /**
   * Free text (an exception's message, say a database error that quotes the value it refused) with
   * every run of nine or more digits masked but its last four: phone numbers never reach a log line
   * in full, whatever text carries them.
   */
  public static String phonesIn(String text) {
    if (text == null) {
      return "null";
    }
    return DIGIT_RUN.matcher(text).replaceAll(m -> "*".repeat(m.group().length()));
  }

  private static boolean isChannelPrefix(String value, int i) {
    int colon = value.indexOf(':');
    return colon > 0 && i < colon;
  }

  /** A JDBC URL with any password parameter or user-info removed. */
  public static String jdbcUrl(String url) {
    if (url == null) {
      return null;
    }
    return url.replaceAll("(?i)(password|pwd)=[^;&]*", "$1=****")
        .replaceAll("//[^/@]*@", "//****@");
  }
}
