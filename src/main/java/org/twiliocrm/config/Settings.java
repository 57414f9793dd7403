package org.twiliocrm.config;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Function;

/**
 * Typed readers over a key lookup. Each failure names the key and what is wrong, so a bad value
 * stops the connector at start-up with a message an operator can act on.
 */
public final class Settings {
  private final Function<String, String> lookup;

  public Settings(Function<String, String> lookup) {
    this.lookup = lookup;
  }

  /** The raw value, or null when unset or blank. */
  public String raw(String key) {
    String v = lookup.apply(key);
    return v == null || v.isBlank() ? null : v.trim();
  }

  /**
   * The value exactly as the source gives it, null only when unset: for readers that treat a blank
   * value differently from an absent one (the Salesforce sandbox refuses a blank credential).
   */
  public String verbatim(String key) {
    return lookup.apply(key);
  }

  public String string(String key, String def) {
    String v = raw(key);
    return v == null ? def : v;
  }

  public String required(String key, String why) {
    String v = raw(key);
    if (v == null) {
      throw new ConfigException(
          key,
          "is required "
              + why
              + " but is not set (environment variable "
              + ConfigSource.envName(key)
              + ")");
    }
    return v;
  }

  public int integer(String key, int def, int min, int max) {
    String v = raw(key);
    if (v == null) {
      return def;
    }
    try {
      int i = Integer.parseInt(v);
      if (i < min || i > max) {
        throw new ConfigException(key, "must be between " + min + " and " + max + ", got " + i);
      }
      return i;
    } catch (NumberFormatException e) {
      throw new ConfigException(
          key, "must be a whole number between " + min + " and " + max + ", got '" + v + "'");
    }
  }

  public double decimal(String key, double def, double min, double max) {
    String v = raw(key);
    if (v == null) {
      return def;
    }
    double d;
    try {
      d = Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new ConfigException(
          key, "must be a number between " + min + " and " + max + ", got '" + v + "'");
    }
    if (Double.isNaN(d) || d < min || d > max) {
      throw new ConfigException(
          key, "must be a number between " + min + " and " + max + ", got '" + v + "'");
    }
    return d;
  }

  /** The raw value, or null when unset: for keys whose absence means something. */
  public String optional(String key) {
    return raw(key);
  }

  public boolean bool(String key, boolean def) {
    String v = raw(key);
    if (v == null) {
      return def;
    }
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on", "1" -> true;
      case "false", "no", "off", "0" -> false;
      default -> throw new ConfigException(key, "must be true or false, got '" + v + "'");
    };
  }

  /** A duration written as ISO-8601 (PT5S) or as a number with a unit: 500ms, 5s, 2m, 1h. */
  public Duration duration(String key, Duration def) {
    String v = raw(key);
    if (v == null) {
      return def;
    }
    try {
      String s = v.toLowerCase(Locale.ROOT);
      if (s.startsWith("pt") || s.startsWith("p")) {
        return Duration.parse(v.toUpperCase(Locale.ROOT));
      }
      if (s.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2).trim()));
      }
      long n = Long.parseLong(s.substring(0, s.length() - 1).trim());
      return switch (s.charAt(s.length() - 1)) {
        case 's' -> Duration.ofSeconds(n);
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        case 'd' -> Duration.ofDays(n);
        default -> throw new NumberFormatException();
      };
    } catch (RuntimeException e) {
      throw new ConfigException(
          key, "must be a duration such as 500ms, 5s, 2m or PT5S, got '" + v + "'");
    }
  }

  public <E extends Enum<E>> E enumeration(String key, Class<E> type, E def) {
    String v = raw(key);
    if (v == null) {
      return def;
    }
    try {
      return Enum.valueOf(type, v.toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      StringBuilder allowed = new StringBuilder();
      for (E c : type.getEnumConstants()) {
        allowed.append(allowed.length() == 0 ? "" : ", ").append(c.name().toLowerCase(Locale.ROOT));
      }
      throw new ConfigException(key, "must be one of " + allowed + ", got '" + v + "'");
    }
  }

  /** An absolute http(s) URL without a trailing slash, or the default. */
  public String httpUrl(String key, String def) {
    String v = raw(key);
    if (v == null) {
      return def;
    }
    try {
      URI u = URI.create(v);
      if (u.getScheme() == null
          || !(u.getScheme().equals("http") || u.getScheme().equals("https"))
          || u.getHost() == null) {
        throw new IllegalArgumentException();
      }
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          key, "must be an absolute http:// or https:// URL, got '" + v + "'");
    }
    return v.endsWith("/") ? v.substring(0, v.length() - 1) : v;
  }

  public String matching(String key, String regex, String description) {
    String v = raw(key);
    if (v != null && !v.matches(regex)) {
      throw new ConfigException(
          key, "must be " + description + ", got '" + Redaction.secret(v) + "'");
    }
    return v;
  }
}
