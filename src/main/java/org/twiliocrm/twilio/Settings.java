package org.twiliocrm.twilio;

import java.util.function.Function;

/** Small parsing helpers shared by the settings records; each error names the key. */
public final class Settings {
  private Settings() {}

  public static String string(Function<String, String> lookup, String key, String def) {
    String v = lookup.apply(key);
    return v == null ? def : v.trim();
  }

  public static String optional(Function<String, String> lookup, String key) {
    String v = lookup.apply(key);
    return v == null || v.isBlank() ? null : v.trim();
  }

  public static int integer(
      Function<String, String> lookup, String key, int def, int min, int max) {
    String v = lookup.apply(key);
    if (v == null || v.isBlank()) {
      return def;
    }
    try {
      int i = Integer.parseInt(v.trim());
      if (i < min || i > max) {
        throw new NumberFormatException();
      }
      return i;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          key + ": must be an integer " + min + ".." + max + ", got '" + v + "'");
    }
  }

  public static double decimal(
      Function<String, String> lookup, String key, double def, double min, double max) {
    String v = lookup.apply(key);
    if (v == null || v.isBlank()) {
      return def;
    }
    try {
      double d = Double.parseDouble(v.trim());
      if (!(d >= min && d <= max)) {
        throw new NumberFormatException();
      }
      return d;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          key + ": must be a number " + min + ".." + max + ", got '" + v + "'");
    }
  }

  public static boolean bool(Function<String, String> lookup, String key, boolean def) {
    String v = lookup.apply(key);
    if (v == null || v.isBlank()) {
      return def;
    }
    switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "true":
        return true;
      case "false":
        return false;
      default:
        throw new IllegalArgumentException(key + ": must be true or false, got '" + v + "'");
    }
  }
}
