package org.twiliocrm.observe;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks what looks like a phone number in free text, for every log line (message and exception
 * texts alike, see {@link MaskingPatternEncoder} and {@link MaskingJsonEncoder}), keeping only its
 * last four digits:
 *
 * <ul>
 *   <li>a run of 9 to 15 digits standing alone (optionally after a {@code +});
 *   <li>a {@code +}-prefixed number written with spaces, dots, dashes or brackets ({@code +1 (415)
 *       555-0101}, {@code +44 20 7946 0958});
 *   <li>a North American number without {@code +}: {@code (415) 555-0101}, {@code 415-555-0101},
 *       {@code 415.555.0101}, {@code 415 555 0101}, optionally after {@code 1}; area code and
 *       exchange start with 2-9, as assigned numbers do;
 *   <li>a national number with a trunk {@code 0} and one separator throughout: {@code 020 7946
 *       0958}, {@code 01 42 68 53 00}, {@code 0412-345-678}, {@code (020) 7946 0958}, 10 or 11
 *       digits.
 * </ul>
 *
 * <p>Not masked, because they are not phone numbers and an operator needs them: digits inside words
 * (Twilio SIDs, hex ids), a UUID's last group, shorter or longer runs (ports, row ids, replay ids,
 * "12345 ms"), dates and times ({@code 2026-12-03 06:13:10.364}, {@code 03.12.2026 06:13}: a match
 * never starts or ends next to a digit joined by a dot, dash or colon), addresses ({@code
 * 10.0.0.1:8080}) and versions.
 */
public final class PhoneMask {
  private PhoneMask() {}

  /**
   * A bare run: not preceded or followed by a letter or digit, and not a UUID's last group ({@code
   * -a716-446655440000}).
   */
  private static final Pattern RUN =
      Pattern.compile(
          "(?<![A-Za-z0-9])(?<!-[0-9A-Fa-f]{4}-)(\\+?)(\\d{5,11})(\\d{4})(?![A-Za-z0-9])");

  /** "+1 (415) 555-0101", "+44 20.7946.0958": a plus, then digits and separators. */
  private static final Pattern FORMATTED =
      Pattern.compile("(?<![A-Za-z0-9])\\+\\d[\\d ().-]{7,22}\\d(?![A-Za-z0-9])");

  /**
   * Where a number without a plus may start: not inside a word or number, nor right after a digit
   * and a dot, dash or colon (the middle of a date, a time or an address).
   */
  private static final String START = "(?<![A-Za-z0-9])(?<![0-9][.:-])";

  /**
   * Where it may end: not before a letter or digit, nor before a dot, dash or colon and a digit.
   */
  private static final String END = "(?![A-Za-z0-9])(?![.:-][0-9])";

  /** "(415) 555-0101", "415-555-0101", "415.555.0101", "1 415 555 0101". */
  private static final Pattern NANP =
      Pattern.compile(
          START
              + "(?:1[ .-]?)?(?:\\([2-9]\\d\\d\\) ?|[2-9]\\d\\d[ .-])[2-9]\\d\\d[ .-]\\d{4}"
              + END);

  /**
   * "020 7946 0958", "01 42 68 53 00", "0412-345-678", "(020) 7946 0958": a trunk 0, then groups of
   * digits with the same separator throughout (a date mixes them: "03.12.2026 06").
   */
  private static final Pattern NATIONAL =
      Pattern.compile(
          START
              + "(?:0\\d{1,4}([ .-])|\\(0\\d{1,4}\\)( ))\\d{2,6}(?:(?:\\1|\\2)\\d{2,6}){0,3}"
              + END);

  /** {@code text} with every phone-like number masked; the same string when there is none. */
  public static String mask(String text) {
    if (text == null || !hasLongDigitRun(text)) {
      return text;
    }
    String out =
        RUN.matcher(text)
            .replaceAll(m -> m.group(1) + "*".repeat(m.group(2).length()) + m.group(3));
    out = maskEach(FORMATTED, out, 9, 15);
    out = maskEach(NANP, out, 10, 11);
    return maskEach(NATIONAL, out, 10, 11);
  }

  private static String maskEach(Pattern p, String text, int minDigits, int maxDigits) {
    Matcher m = p.matcher(text);
    if (!m.find()) {
      return text;
    }
    StringBuilder sb = new StringBuilder(text.length());
    do {
      m.appendReplacement(
          sb, Matcher.quoteReplacement(maskFormatted(m.group(), minDigits, maxDigits)));
    } while (m.find());
    return m.appendTail(sb).toString();
  }

  /** {@code s} with all but its last four digits starred, when it has minDigits..maxDigits. */
  private static String maskFormatted(String s, int minDigits, int maxDigits) {
    int digits = 0;
    for (int i = 0; i < s.length(); i++) {
      if (Character.isDigit(s.charAt(i))) {
        digits++;
      }
    }
    if (digits < minDigits || digits > maxDigits) {
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
