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
