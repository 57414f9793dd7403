package org.twiliocrm.governance;

/**
 * Counts SMS segments the way carriers do. A body written only in the GSM-7 alphabet packs 160
 * characters into one segment and 153 per segment once split (7 septets go to the concatenation
 * header); characters from the GSM-7 extension table take two septets. Anything else forces UCS-2:
 * 70 UTF-16 units in one segment, 67 per segment once split.
 */
public final class SegmentCounter {
  private static final String GSM7_BASIC =
      "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
          + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  private static final String GSM7_EXTENSION = "\f^{}\\[~]|€";

  /** The encoding a body needs and how many segments it takes. */
  public record Count(Encoding encoding, int units, int segments) {}

  public enum Encoding {
    GSM7,
    UCS2
  }

  private SegmentCounter() {}

  public static Count count(String body) {
    if (body == null || body.isEmpty()) {
      return new Count(Encoding.GSM7, 0, 0);
    }
    int septets = 0;
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (GSM7_BASIC.indexOf(c) >= 0) {
        septets += 1;
      } else if (GSM7_EXTENSION.indexOf(c) >= 0) {
        septets += 2;
      } else {
        int units = body.length();
        return new Count(Encoding.UCS2, units, units <= 70 ? 1 : ceilDiv(units, 67));
      }
    }
    return new Count(Encoding.GSM7, septets, septets <= 160 ? 1 : ceilDiv(septets, 153));
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }
}
