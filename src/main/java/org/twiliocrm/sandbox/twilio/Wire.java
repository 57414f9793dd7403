package org.twiliocrm.sandbox.twilio;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/** Wire formats Twilio uses: SIDs, RFC 2822 and ISO dates, form encoding, JSON. */
final class Wire {
  private Wire() {}

  static final ObjectMapper JSON =
      new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

  private static final DateTimeFormatter RFC_2822 =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss Z", Locale.US)
          .withZone(ZoneOffset.UTC);
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /** A SID: two-letter prefix + 32 lowercase hex digits. */
  static String sid(String prefix) {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    char[] out = new char[34];
    out[0] = prefix.charAt(0);
    out[1] = prefix.charAt(1);
    long a = r.nextLong();
    long b = r.nextLong();
    for (int i = 0; i < 16; i++) {
      out[2 + i] = HEX[(int) ((a >>> (60 - 4 * i)) & 0xf)];
      out[18 + i] = HEX[(int) ((b >>> (60 - 4 * i)) & 0xf)];
    }
    return new String(out);
  }

  /** {@code Thu, 24 Aug 2023 05:01:45 +0000}, as the 2010-04-01 API writes dates. */
  static String rfc2822(Instant t) {
    return t == null ? null : RFC_2822.format(t);
  }

  /** ISO 8601, as Verify v2 writes dates. */
  static String iso(Instant t) {
    return t == null
        ? null
        : DateTimeFormatter.ISO_INSTANT.format(
            t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
  }

  static Map<String, List<String>> decodeForm(String body) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    if (body == null || body.isEmpty()) {
      return out;
    }
    int start = 0;
    while (start <= body.length()) {
      int amp = body.indexOf('&', start);
      int end = amp < 0 ? body.length() : amp;
      if (end > start) {
        String pair = body.substring(start, end);
        int eq = pair.indexOf('=');
        String name = decode(eq < 0 ? pair : pair.substring(0, eq));
        String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
        out.computeIfAbsent(name, k -> new ArrayList<>(1)).add(value);
      }
      if (amp < 0) {
        break;
      }
      start = amp + 1;
    }
    return out;
  }

  static String encodeForm(Map<String, List<String>> params) {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, List<String>> e : params.entrySet()) {
      for (String v : e.getValue()) {
        if (sb.length() > 0) {
          sb.append('&');
        }
        sb.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8))
            .append('=')
            .append(URLEncoder.encode(v == null ? "" : v, StandardCharsets.UTF_8));
      }
    }
    return sb.toString();
  }

  /**
   * A form or query parameter's first value as sent (possibly blank), or null when it is absent:
   * every resource reads its parameters through this.
   */
  static String first(Map<String, List<String>> params, String name) {
    List<String> v = params.get(name);
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  /** {@link #first}, or {@code def} when the parameter is absent or blank. */
  static String firstOr(Map<String, List<String>> params, String name, String def) {
    String v = first(params, name);
    return v == null || v.isBlank() ? def : v;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  static byte[] json(Object value) {
    try {
      return JSON.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Masks all but the last four digits, for logs. */
  static String mask(String number) {
    if (number == null || number.length() <= 4) {
      return "****";
    }
    return "*".repeat(number.length() - 4) + number.substring(number.length() - 4);
  }
}
