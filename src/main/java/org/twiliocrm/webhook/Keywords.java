package org.twiliocrm.webhook;

import java.util.List;
import java.util.Locale;

/** Twilio's keyword rule: the whole body, trimmed, case-insensitive, against each list. */
public final class Keywords {
  public enum Kind {
    OPT_OUT,
    OPT_IN,
    HELP,
    NONE
  }

  private final List<String> optOut;
  private final List<String> optIn;
  private final List<String> help;

  public Keywords(List<String> optOut, List<String> optIn, List<String> help) {
    this.optOut = optOut;
    this.optIn = optIn;
    this.help = help;
  }

  public static Keywords of(WebhookSettings s) {
    return new Keywords(s.optOutKeywords(), s.optInKeywords(), s.helpKeywords());
  }

  /** The keyword lists alone, read from the configuration (webhook.keywords.*). */
  public static Keywords from(java.util.function.Function<String, String> lookup) {
    org.twiliocrm.config.Settings s = new org.twiliocrm.config.Settings(lookup);
    return new Keywords(
        WebhookSettings.OPT_OUT_KEYWORDS.read(s),
        WebhookSettings.OPT_IN_KEYWORDS.read(s),
        WebhookSettings.HELP_KEYWORDS.read(s));
  }

  public Kind classify(String body) {
    if (body == null) {
      return Kind.NONE;
    }
    String b = body.strip().toUpperCase(Locale.ROOT);
    // Trailing punctuation ("Stop.") is common on handsets; Twilio matches the bare word.
    while (!b.isEmpty() && ".!".indexOf(b.charAt(b.length() - 1)) >= 0) {
      b = b.substring(0, b.length() - 1).strip();
    }
    if (optOut.contains(b)) {
      return Kind.OPT_OUT;
    }
    if (optIn.contains(b)) {
      return Kind.OPT_IN;
    }
    if (help.contains(b)) {
      return Kind.HELP;
    }
    return Kind.NONE;
  }
}
