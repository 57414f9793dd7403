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

  /** A valid number in E.164 (+14155550123) and the ISO region libphonenumber places it in. */
  public record Parsed(String e164, String region) {}

  /** The number in E.164 (+14155550123), or empty when it is not a valid phone number. */
  public Optional<String> toE164(String raw) {
    return parse(raw).map(Parsed::e164);
  }

  /**
   * The number in E.164 with its region, or empty when it is not a valid phone number. The region
   * is the one the validity check finds anyway (isValidNumber is exactly "valid for the region
   * getRegionCodeForNumber names"), so later steps that need it (the policy gate's countries, geo
   * permissions) take it from here instead of parsing the number again.
   */
  public Optional<Parsed> parse(String raw) {
    if (raw == null || raw.isBlank()) {
      return Optional.empty();
    }
    try {
      PhoneNumber n = util.parse(raw.trim(), defaultRegion);
      String region = util.getRegionCodeForNumber(n);
      if (!util.isValidNumberForRegion(n, region)) {
        return Optional.empty();
      }
      return Optional.of(
          new Parsed(util.format(n, PhoneNumberUtil.PhoneNumberFormat.E164), region));
    } catch (NumberParseException e) {
      return Optional.empty();
    }
  }

  public String defaultRegion() {
    return defaultRegion;
  }
}
