package org.twiliocrm.twilio;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Twilio's {@code X-Twilio-Signature}: base64(HMAC-SHA1(auth token, URL + sorted name/value
 * pairs)), or HMAC-SHA256 with a Webhooks Rule's SharedKey (see {@link Algorithm}).
 *
 * <p>Used by the sandbox to sign what it sends and by the connector to check what it receives, so
 * both sides share one implementation that is pinned to Twilio's published test vectors.
 *
 * <p>Rules (from twilio-java, twilio-python and Twilio's docs):
 *
 * <ul>
 *   <li>Parameter names are sorted by ordinal (case-sensitive) comparison. A repeated name
 *       contributes each distinct value once, values sorted, as twilio-python and twilio-node do.
 *   <li>The URL is used exactly as Twilio requested it, query string included. Twilio sometimes
 *       signs with and sometimes without the default port, so validation accepts either form.
 *   <li>JSON bodies are not signed as parameters: the URL carries {@code bodySHA256}, the lowercase
 *       hex SHA-256 of the raw body, which must match the body.
 *   <li>Signatures are compared in constant time.
 * </ul>
 *
 * <p>Thread-safe and immutable.
 */
public final class TwilioSignature {

  /**
   * The two hashes Twilio signs with: HMAC-SHA1 with the auth token (the default), and the
   * algorithm a Webhooks Rule's Setting names with its SharedKey, announced in {@code
   * X-Twilio-Webhooks-Signature-Settings: key=...,algorithm=HMAC_SHA256}. Only the hash changes:
   * the signed text (URL + sorted parameters) and the base64 encoding stay the same (twilio-node's
   * examples/WebhookSignatureValidation.md).
   */
  public enum Algorithm {
    HMAC_SHA1("HmacSHA1"),
    HMAC_SHA256("HmacSHA256");

    final String jca;

    Algorithm(String jca) {
      this.jca = jca;
    }

    /** The algorithm a settings header names, or null when it is not one Twilio documents. */
    public static Algorithm named(String name) {
      for (Algorithm a : values()) {
        if (a.name().equals(name)) {
          return a;
        }
      }
      return null;
    }
  }

  /** Name of the header Twilio adds when it signs with a SharedKey instead of the auth token. */
  public static final String SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings";

  /**
   * The parsed {@code X-Twilio-Webhooks-Signature-Settings} header: {@code
   * key=<id>,algorithm=<name>}. Either part is null when absent.
   */
  public record Settings(String key, String algorithm) {
    public static Settings parse(String header) {
      String key = null;
      String algorithm = null;
      for (String part : header.split(",")) {
        int eq = part.indexOf('=');
        if (eq <= 0) {
          continue;
        }
        String name = part.substring(0, eq).trim();
        String value = part.substring(eq + 1).trim();
        if (name.equals("key")) {
          key = value.isEmpty() ? null : value;
        } else if (name.equals("algorithm")) {
          algorithm = value.isEmpty() ? null : value;
        }
      }
      return new Settings(key, algorithm);
    }
  }

  private final SecretKeySpec key;
  private final Algorithm algorithm;

  /**
   * A Mac set up with the key once; each signature works on a clone of it. A Mac is not
   * thread-safe, and {@code Mac.getInstance} plus {@code init} per call looked up the provider and
   * hashed the key padding every time (about 2 % of the whole loop's allocation in JFR). If the
   * provider's Mac cannot be cloned, each call makes its own.
   */
  private final Mac prototype;

  /** The default mode: HMAC-SHA1 with the account's auth token. */
  public TwilioSignature(String authToken) {
    this(authToken, Algorithm.HMAC_SHA1);
  }

  /** A SharedKey secret (or auth token) with the given algorithm. */
  public TwilioSignature(String secret, Algorithm algorithm) {
    Objects.requireNonNull(secret, "secret");
    this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
    this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), algorithm.jca);
    this.prototype = newMac();
  }

  /** Signs a form POST (or a GET, with no parameters). */
  public String sign(String url, Map<String, ? extends List<String>> params) {
    return base64Hmac(url, paramsText(params));
  }

  /** Signs a form POST whose names are not repeated. */
  public String signSingle(String url, Map<String, String> params) {
    Map<String, List<String>> multi = new TreeMap<>();
    params.forEach((k, v) -> multi.put(k, List.of(v == null ? "" : v)));
    return sign(url, multi);
  }

  /**
   * Checks a form POST. Tries the URL as given, then with the default port removed and added, since
   * Twilio is not consistent about the port.
   */
  public boolean validate(
      String url, Map<String, ? extends List<String>> params, String signature) {
    if (url == null || signature == null) {
      return false;
    }
    byte[] given = signature.getBytes(StandardCharsets.UTF_8);
    // The parameters' part of the signed text is the same for every form of the URL.
    byte[] paramsText = paramsText(params);
    for (String candidate : urlVariants(url)) {
      byte[] expected = base64Hmac(candidate, paramsText).getBytes(StandardCharsets.UTF_8);
      // MessageDigest.isEqual is constant-time for equal-length inputs since Java 6u17.
      if (MessageDigest.isEqual(expected, given)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Checks a JSON POST: the URL (which carries {@code bodySHA256}) is signed, and the hash must
   * match the raw body.
   */
  public boolean validateJson(String url, String rawBody, String signature) {
    if (url == null || rawBody == null) {
      return false;
    }
    String declared = queryParameter(url, "bodySHA256");
    if (declared == null) {
      return false;
    }
    byte[] actual = bodySha256(rawBody).getBytes(StandardCharsets.UTF_8);
    boolean bodyMatches = MessageDigest.isEqual(actual, declared.getBytes(StandardCharsets.UTF_8));
    boolean urlMatches = validate(url, Map.of(), signature);
    return bodyMatches & urlMatches;
  }

  /** Lowercase hex SHA-256 of a raw body, as Twilio puts it into {@code bodySHA256}. */
  public static String bodySha256(String rawBody) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(rawBody.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is mandatory in every JRE", e);
    }
  }

  static String signedText(String url, Map<String, ? extends List<String>> params) {
    return url + new String(paramsText(params), StandardCharsets.UTF_8);
  }

  /**
   * The part of the signed text after the URL, as UTF-8: each name followed by its value, names in
   * ordinal (case-sensitive) order as Twilio sorts them; a repeated name once per distinct value,
   * values sorted; a null value counts as empty.
   */
  static byte[] paramsText(Map<String, ? extends List<String>> params) {
    if (params == null || params.isEmpty()) {
      return new byte[0];
    }
    StringBuilder text = new StringBuilder(params.size() * 48);
    // A map already sorted in natural String order (the webhook edge's TreeMap) is read as it
    // is; any other is copied into one.
    Map<String, ? extends List<String>> sorted =
        params instanceof SortedMap<String, ? extends List<String>> m && m.comparator() == null
            ? params
            : new TreeMap<>(params);
    for (Map.Entry<String, ? extends List<String>> e : sorted.entrySet()) {
      List<String> values = e.getValue();
      if (values == null) {
        text.append(e.getKey());
      } else if (values.size() == 1) {
        String value = values.get(0);
        text.append(e.getKey()).append(value == null ? "" : value);
      } else {
        for (String value : new TreeSet<>(nullsToEmpty(values))) {
          text.append(e.getKey()).append(value);
        }
      }
    }
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The URL as given, plus the form without the default port and the form with it. */
  static List<String> urlVariants(String url) {
    List<String> variants = new ArrayList<>(3);
    variants.add(url);
    String without = withoutDefaultPort(url);
    if (!variants.contains(without)) {
      variants.add(without);
    }
    String with = withDefaultPort(url);
    if (!variants.contains(with)) {
      variants.add(with);
    }
    return variants;
  }

  /** {@code https://h:443/p} -> {@code https://h/p}; anything else is returned unchanged. */
  public static String withoutDefaultPort(String url) {
    Authority a = Authority.of(url);
    if (a == null || a.port == null || !a.port.equals(a.defaultPort())) {
      return url;
    }
    return url.substring(0, a.hostEnd) + url.substring(a.end);
  }

  /** {@code https://h/p} -> {@code https://h:443/p}; anything else is returned unchanged. */
  public static String withDefaultPort(String url) {
    Authority a = Authority.of(url);
    if (a == null || a.port != null || a.defaultPort() == null) {
      return url;
    }
    return url.substring(0, a.end) + ":" + a.defaultPort() + url.substring(a.end);
  }

  private static List<String> nullsToEmpty(List<String> values) {
    List<String> out = new ArrayList<>(values.size());
    for (String v : values) {
      out.add(v == null ? "" : v);
    }
    return out;
  }

  private static String queryParameter(String url, String name) {
    int q = url.indexOf('?');
    if (q < 0) {
      return null;
    }
    int hash = url.indexOf('#', q);
    String query = url.substring(q + 1, hash < 0 ? url.length() : hash);
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).equals(name)) {
        return pair.substring(eq + 1);
      }
    }
    return null;
  }

  private String base64Hmac(String url, byte[] paramsText) {
    Mac mac = mac();
    mac.update(url.getBytes(StandardCharsets.UTF_8));
    return Base64.getEncoder().encodeToString(mac.doFinal(paramsText));
  }

  private Mac mac() {
    try {
      return (Mac) prototype.clone();
    } catch (CloneNotSupportedException e) {
      return newMac();
    }
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance(algorithm.jca);
      mac.init(key);
      return mac;
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(algorithm.jca + " is mandatory in every JRE", e);
    }
  }

  /**
   * Where host and port sit in a URL, found by hand rather than by {@link java.net.URI}, so that
   * URLs with non-ASCII characters or doubled slashes keep their exact spelling.
   */
  private static final class Authority {
    final String scheme;
    final int hostEnd; // index where ":port" would start
    final int end; // index just after the authority
    final String port;

    private Authority(String scheme, int hostEnd, int end, String port) {
      this.scheme = scheme;
      this.hostEnd = hostEnd;
      this.end = end;
      this.port = port;
    }

    static Authority of(String url) {
      int sep = url.indexOf("://");
      if (sep <= 0) {
        return null;
      }
      int start = sep + 3;
      int end = url.length();
      for (int i = start; i < url.length(); i++) {
        char c = url.charAt(i);
        if (c == '/' || c == '?' || c == '#') {
          end = i;
          break;
        }
      }
      int at = url.lastIndexOf('@', end - 1);
      int hostStart = at >= start ? at + 1 : start;
      int colon =
          url.indexOf(
              ':',
              url.lastIndexOf(']', end - 1) >= hostStart
                  ? url.lastIndexOf(']', end - 1)
                  : hostStart);
      if (colon >= 0 && colon < end) {
        return new Authority(
            url.substring(0, sep).toLowerCase(java.util.Locale.ROOT),
            colon,
            end,
            url.substring(colon + 1, end));
      }
      return new Authority(
          url.substring(0, sep).toLowerCase(java.util.Locale.ROOT), end, end, null);
    }

    String defaultPort() {
      switch (scheme) {
        case "https":
          return "443";
        case "http":
          return "80";
        default:
          return null;
      }
    }
  }
}
