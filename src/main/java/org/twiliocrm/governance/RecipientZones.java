package org.twiliocrm.governance;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The time zones a phone number may be in, for quiet hours. libphonenumber gives the number's
 * country; the IANA time zone database's zone.tab (copied to {@code tz/zone.tab}, public domain)
 * gives the country's zones. A country with several zones yields all of them, and quiet hours then
 * wait for the zone whose window stays closed longest.
 *
 * <p>Why not libphonenumber's {@code PhoneNumberToTimeZonesMapper}: it lives in the separate {@code
 * geocoder} artifact, which the Maven registry these machines reach does not serve (3.19, the
 * release matching libphonenumber 9.0.19, is "Missing"). The mapper would narrow NANP numbers to
 * their area code's zone; with the country table a US number is judged by every US zone, which errs
 * on the quiet side. Swapping this class for the mapper is a local change.
 */
public final class RecipientZones {
  private static final PhoneNumberUtil PHONES = PhoneNumberUtil.getInstance();
  private static final Map<String, List<ZoneId>> BY_REGION = load();

  private RecipientZones() {}

  /** The zones of a number (E.164, optionally whatsapp:-prefixed); empty when unknown. */
  public static List<ZoneId> of(String number) {
    String n = number.startsWith("whatsapp:") ? number.substring(9) : number;
    try {
      Phonenumber.PhoneNumber pn = PHONES.parse(n, "ZZ");
      String region = PHONES.getRegionCodeForNumber(pn);
      return region == null ? List.of() : BY_REGION.getOrDefault(region, List.of());
    } catch (NumberParseException e) {
      return List.of();
    }
  }

  private static Map<String, List<ZoneId>> load() {
    Map<String, List<ZoneId>> out = new HashMap<>();
    try (InputStream in =
        RecipientZones.class.getClassLoader().getResourceAsStream("tz/zone.tab")) {
      if (in == null) {
        throw new IllegalStateException("tz/zone.tab missing from the classpath");
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line; (line = r.readLine()) != null; ) {
        if (line.startsWith("#") || line.isBlank()) {
          continue;
        }
        String[] f = line.split("\t");
        if (f.length < 3) {
          continue;
        }
        try {
          out.computeIfAbsent(f[0], k -> new ArrayList<>()).add(ZoneId.of(f[2]));
        } catch (RuntimeException e) {
          // a zone this JDK does not know: the country's other zones still apply
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.replaceAll((k, v) -> List.copyOf(v));
    return Map.copyOf(out);
  }
}
