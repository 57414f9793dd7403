package org.twiliocrm.governance;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber.PhoneNumber;
import java.util.Optional;

/**
 * Normalises phone numbers to E.164 with libphonenumber. A number written without a country code is
 * read in the configured default region, so a CRM that stores "(415) 555-0123" still works.
 */
public final class PhoneRules {
  private final PhoneNumberUtil util = PhoneNumberUtil.getInstance();
  private final String defaultRegion;

  public PhoneRules(String defaultRegion) {
    if (!util.getSupportedRegions().contains(defaultRegion)) {
      throw new IllegalArgumentException(
          "outbox.default-region: must be an ISO 3166 region code libphonenumber knows (US, GB,"
              + " DE, ...), got '"
              + defaultRegion
              + "'");
    }
    this.defaultRegion = defaultRegion;
  }

  /** The number in E.164 (+14155550123), or empty when it is not a valid phone number. */
  public Optional<String> toE164(String raw) {
    if (raw == null || raw.isBlank()) {
      return Optional.empty();
    }
    try {
      PhoneNumber n = util.parse(raw.trim(), defaultRegion);
      if (!util.isValidNumber(n)) {
        return Optional.empty();
      }
      return Optional.of(util.format(n, PhoneNumberUtil.PhoneNumberFormat.E164));
    } catch (NumberParseException e) {
      return Optional.empty();
    }
  }

  public String defaultRegion() {
    return defaultRegion;
  }
}
