package org.twiliocrm.twilio;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Twilio Regions and edge locations (https://www.twilio.com/docs/global-infrastructure): which
 * Twilio Region processes an account's traffic ({@code us1}, {@code ie1}, {@code au1}, ...) and
 * through which edge location the connector reaches it ({@code ashburn}, {@code dublin}, {@code
 * sydney}, ...).
 *
 * <p>twilio-java builds the host the same way ({@code com.twilio.http.IRequest#buildURL}): {@code
 * {product}.{edge}.{region}.twilio.com}, with the region {@code us1} when only an edge is set and
 * {@code {product}.{region}.twilio.com} when only a region is. The sandbox reads the region back
 * from the Host header with {@link #ofHost}.
 *
 * @param region the Twilio Region; null = Twilio's default ({@code us1})
 * @param edge the edge location; null = the region's default edge
 */
public record TwilioRegion(String region, String edge) {

  /** Twilio's default region, the one a bare {@code api.twilio.com} processes in. */
  public static final String DEFAULT = "us1";

  /** The query parameter the connector adds to its callback URLs for a non-default region. */
  public static final String QUERY_PARAMETER = "region";

  private static final Pattern REGION = Pattern.compile("[a-z]{2}[0-9]");
  private static final Pattern EDGE = Pattern.compile("[a-z][a-z0-9-]{1,30}");

  public TwilioRegion {
    region = blankToNull(region);
    edge = blankToNull(edge);
    if (region != null && !REGION.matcher(region).matches()) {
      throw new IllegalArgumentException(
          "twilio.region: must be a Twilio Region such as us1, ie1 or au1, got '" + region + "'");
    }
    if (edge != null && !EDGE.matcher(edge).matches()) {
      throw new IllegalArgumentException(
          "twilio.edge: must be an edge location such as dublin, sydney or ashburn, got '"
              + edge
              + "'");
    }
  }

  /** The region the traffic is processed in: the configured one, else {@code us1}. */
  public String effectiveRegion() {
    return region != null ? region : DEFAULT;
  }

  /** True when nothing but Twilio's default (us1, no edge) is configured. */
  public boolean isDefault() {
    return edge == null && DEFAULT.equals(effectiveRegion());
  }

  /** The host twilio-java calls for a product ({@code api}, {@code verify}, {@code messaging}). */
  public String host(String product) {
    if (region == null && edge == null) {
      return product + ".twilio.com";
    }
    String r = effectiveRegion();
    return edge == null
        ? product + "." + r + ".twilio.com"
        : product + "." + edge + "." + r + ".twilio.com";
  }

  /**
   * A callback URL of this connector with {@code region=<region>} added to its query (before any
   * fragment), so that the webhook check knows which region's token signed it; unchanged when no
   * region is configured.
   */
  public String callbackUrl(String url) {
    if (region == null || url == null || url.contains(QUERY_PARAMETER + "=")) {
      return url;
    }
    int hash = url.indexOf('#');
    String head = hash < 0 ? url : url.substring(0, hash);
    String tail = hash < 0 ? "" : url.substring(hash);
    return head + (head.indexOf('?') < 0 ? "?" : "&") + QUERY_PARAMETER + "=" + region + tail;
  }

  /** {@code ie1 (edge dublin)}, for tables and banners. */
  public String label() {
    return effectiveRegion() + (edge == null ? "" : " (edge " + edge + ")");
  }

  /**
   * The region a Twilio host name names: {@code api.dublin.ie1.twilio.com} -> ie1/dublin, {@code
   * api.ie1.twilio.com} -> ie1, {@code api.twilio.com} (or any other host) -> the default. A port
   * is ignored.
   */
  public static TwilioRegion ofHost(String host) {
    if (host == null) {
      return new TwilioRegion(null, null);
    }
    String h = host.toLowerCase(Locale.ROOT);
    int colon = h.lastIndexOf(':');
    if (colon > 0 && h.indexOf(']') < colon) {
      h = h.substring(0, colon);
    }
    if (!h.endsWith(".twilio.com")) {
      return new TwilioRegion(null, null);
    }
    String[] p = h.split("\\.");
    try {
      if (p.length == 4) {
        return new TwilioRegion(p[1], null);
      }
      if (p.length == 5) {
        return new TwilioRegion(p[2], p[1]);
      }
    } catch (IllegalArgumentException e) {
      return new TwilioRegion(null, null);
    }
    return new TwilioRegion(null, null);
  }

  /**
   * Parses {@code region:token,...} (e.g. {@code ie1:abc,au1:def}); each region once.
   *
   * @param key the configuration key, named in error messages
   */
  public static Map<String, String> tokens(String key, String raw) {
    Map<String, String> out = new LinkedHashMap<>();
    if (raw == null) {
      return Map.of();
    }
    for (String item : raw.split(",")) {
      if (item.isBlank()) {
        continue;
      }
      int colon = item.indexOf(':');
      String name = colon <= 0 ? "" : item.substring(0, colon).trim();
      String token = colon <= 0 ? "" : item.substring(colon + 1).trim();
      if (name.isEmpty() || token.isEmpty()) {
        throw new IllegalArgumentException(
            key + ": each item must read region:authToken, got an item without both halves");
      }
      if (!REGION.matcher(name).matches()) {
        throw new IllegalArgumentException(
            key + ": '" + name + "' is not a Twilio Region such as ie1 or au1");
      }
      if (out.put(name, token) != null) {
        throw new IllegalArgumentException(key + ": region " + name + " is listed twice");
      }
    }
    return Collections.unmodifiableMap(out);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim().toLowerCase(Locale.ROOT);
  }
}
