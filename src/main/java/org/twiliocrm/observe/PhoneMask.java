package org.twiliocrm.observe;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks what looks like a phone number in free text, for every log line (message and exception
 * texts alike, see {@link MaskingPatternEncoder} and {@link MaskingJsonEncoder}): a run of 9 to 15
 * digits standing alone (optionally after a {@code +}), or a {@code +}-prefixed number written with
 * spaces, dots, dashes or brackets, keeps only its last four digits. Digits inside words (Twilio
 * SIDs, hex ids) and shorter or longer runs (ports, row ids, replay ids) stay as they are.
 */
public final class PhoneMask {
  private PhoneMask() {}

  /** A bare run: not preceded or followed by a letter or digit. */
  private static final Pattern RUN =
      Pattern.compile("(?<![A-Za-z0-9])(\\+?)(\\d{5,11})(\\d{4})(?![A-Za-z0-9])");

  /** "+1 (415) 555-0101", "+44 20.7946.0958": a plus, then digits and separators. */
  private static final Pattern FORMATTED =
      Pattern.compile("(?<![A-Za-z0-9])\\+\\d[\\d ().-]{7,22}\\d(?![A-Za-z0-9])");

  /** {@code text} with every phone-like number masked; the same string when there is none. */
  public static String mask(String text) {
    if (text == null || !hasLongDigitRun(text)) {
      return text;
    }
    String out =
        RUN.matcher(text)
            .replaceAll(m -> m.group(1) + "*".repeat(m.group(2).length()) + m.group(3));
    Matcher f = FORMATTED.matcher(out);
    if (!f.find()) {
      return out;
    }
    return f.replaceAll(m -> Matcher.quoteReplacement(maskFormatted(m.group())));
  }

  private static String maskFormatted(String s) {
    int digits = 0;
    for (int i = 0; i < s.length(); i++) {
      if (Character.isDigit(s.charAt(i))) {
        digits++;
      }
    }
    if (digits < 9 || digits > 15) {
      return s;
    }
    StringBuilder sb = new StringBuilder(s.length());
    int seen = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isDigit(c)) {
        seen++;
        sb.append(seen <= digits - 4 ? '*' : c);
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /**
   * The cheap test first: most log lines have no phone number at all, and need no regex. True when
   * the text holds at least four digits separated by no more than formatting characters from a
   * total of nine (a conservative pre-check; the patterns decide).
   */
  private static boolean hasLongDigitRun(String text) {
    int digits = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= '0' && c <= '9') {
        if (++digits >= 9) {
          return true;
        }
      } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
        digits = 0;
      }
    }
    return false;
  }
}
