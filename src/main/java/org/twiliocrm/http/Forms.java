package org.twiliocrm.http;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code application/x-www-form-urlencoded} text, as Twilio posts webhooks and as query strings
 * carry parameters: the one decoder and encoder the webhook gate and the operator API share.
 */
public final class Forms {
  private Forms() {}

  /**
   * Every {@code name=value} pair, values in arrival order per name, names sorted (the order
   * Twilio's signature uses). Empty pairs are skipped; a pair without {@code =} has the value "".
   *
   * @throws IllegalArgumentException when the text is not valid percent-encoding
   */
  public static Map<String, List<String>> decode(String raw) {
    Map<String, List<String>> out = new TreeMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }
    return out;
  }

  /** The pairs as form text, in the map's order. */
  public static String encode(Map<String, List<String>> params) {
    StringBuilder sb = new StringBuilder();
    params.forEach(
        (k, vs) -> {
          for (String v : vs) {
            if (sb.length() > 0) {
              sb.append('&');
            }
            sb.append(URLEncoder.encode(k, StandardCharsets.UTF_8))
                .append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
          }
        });
    return sb.toString();
  }
}
