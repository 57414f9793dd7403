package org.twiliocrm.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The URL rule's pre-check may only skip bodies the expression cannot match: every body here gets
 * the same answer as the expression alone (the rule as it was before the pre-check).
 */
class PolicyGateUrlTest {
  private static final Pattern URL =
      Pattern.compile("(?i)\\b(?:https?://|www\\.)([a-z0-9.-]+)", Pattern.CASE_INSENSITIVE);
  private static final Set<String> ALLOWED = Set.of("example.com", "twilio.com");

  private static final List<String> BODIES =
      List.of(
          "Reminder 12",
          "Reminder 12: details at https://www.example.com/r/12",
          "see https://evil.com/x",
          "see HTTP://EVIL.COM/x",
          "see hTtPs://sub.example.com.",
          "see WWW.evil.com now",
          "see wWw.example.com/ok",
          "no links here.",
          "ends with www.",
          "www.",
          "xwww.evil.com (no word boundary)",
          "_www.evil.com",
          "évwww.evil.com",
          "ftp://evil.com is not a web link",
          "mail me at a@evil.com.",
          "twice: https://example.com and http://evil.org",
          "host with dots at the end https://example.com... fine",
          "notexample.com and https://notexample.com",
          "https://twilio.com.evil.net/x",
          "https://-.-",
          "3.14 and 2.71",
          "www3.evil.com",
          "ww.evil.com");

  @Test
  void preCheckGivesTheExpressionsAnswerForEveryBody() {
    for (String body : BODIES) {
      assertThat(PolicyGate.hasForeignUrl(body, ALLOWED)).as(body).isEqualTo(reference(body));
    }
  }

  @Test
  void preCheckLetsThroughEveryBodyTheExpressionMatches() {
    for (String body : BODIES) {
      if (URL.matcher(body).find()) {
        assertThat(PolicyGate.mayHoldUrl(body)).as(body).isTrue();
      }
    }
    assertThat(PolicyGate.mayHoldUrl("Reminder 12: see you at 3.30")).isFalse();
    assertThat(PolicyGate.mayHoldUrl("WwW.x")).isTrue();
    assertThat(PolicyGate.mayHoldUrl("a://")).isTrue();
  }

  @Test
  void foreignAndAllowedHostsAsBefore() {
    assertThat(PolicyGate.hasForeignUrl("see https://evil.com/x", ALLOWED)).isTrue();
    assertThat(PolicyGate.hasForeignUrl("see WWW.Evil.com", ALLOWED)).isTrue();
    assertThat(PolicyGate.hasForeignUrl("see https://notexample.com", ALLOWED)).isTrue();
    assertThat(PolicyGate.hasForeignUrl("see https://a.b.example.com/x", ALLOWED)).isFalse();
    assertThat(PolicyGate.hasForeignUrl("see https://example.com./x", ALLOWED)).isFalse();
    assertThat(PolicyGate.hasForeignUrl(null, ALLOWED)).isFalse();
  }

  /** The rule without the pre-check: the expression over the whole body. */
  private static boolean reference(String body) {
    if (body.indexOf('.') < 0) {
      return false;
    }
    Matcher m = URL.matcher(body);
    while (m.find()) {
      String host = m.group(1).toLowerCase(Locale.ROOT);
      while (host.endsWith(".")) {
        host = host.substring(0, host.length() - 1);
      }
      boolean ok = false;
      for (String d : ALLOWED) {
        if (host.equals(d) || host.endsWith("." + d)) {
          ok = true;
          break;
        }
      }
      if (!ok) {
        return true;
      }
    }
    return false;
  }
}
