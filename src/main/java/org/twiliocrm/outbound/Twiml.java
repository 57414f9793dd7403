package org.twiliocrm.outbound;

/** The TwiML a voice row speaks: its text in one {@code <Say>}, XML-escaped. */
final class Twiml {
  private Twiml() {}

  static String say(String text) {
    StringBuilder sb = new StringBuilder(text.length() + 40);
    sb.append("<Response><Say>");
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '&' -> sb.append("&amp;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&apos;");
        default -> sb.append(c);
      }
    }
    return sb.append("</Say></Response>").toString();
  }
}
