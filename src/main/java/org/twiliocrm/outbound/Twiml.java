package org.twiliocrm.outbound;

/**
 * The connector's TwiML: a voice row's text in one {@code <Say>} (the outbox sends it inline, the
 * TwiML endpoint serves it), and a reply {@code <Message>}, XML-escaped.
 */
public final class Twiml {
  /** What the TwiML endpoint prefixes to a document it serves. */
  public static final String DECLARATION = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

  private Twiml() {}

  public static String say(String text) {
    return element("Say", text);
  }

  public static String message(String text) {
    return element("Message", text);
  }

  private static String element(String name, String text) {
    StringBuilder sb = new StringBuilder(text.length() + 40);
    sb.append("<Response><").append(name).append('>');
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
    return sb.append("</").append(name).append("></Response>").toString();
  }
}
