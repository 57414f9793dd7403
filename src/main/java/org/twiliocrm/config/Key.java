package org.twiliocrm.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * One configuration key, declared once: its name, type, default (as written in
 * application.properties), allowed range and description, plus how a value is read and checked. The
 * typed settings records read their keys through these declarations; the reference table in
 * docs/configuration.md and the comments in application.properties are checked against them
 * (ConfigReferenceTest), in the way Debezium's EventRouterConfigDefinition declares its fields.
 *
 * @param name the property name, e.g. {@code outbox.batch-size}
 * @param type what a value looks like, for the reference: integer, duration, boolean, ...
 * @param defaultText the default exactly as application.properties writes it ("" = unset)
 * @param range the allowed values in words ("" when any value of the type goes)
 * @param description one sentence: the comment above the key in application.properties
 * @param reader reads and checks the value; a bad one throws {@link ConfigException} naming the key
 */
public record Key<T>(
    String name,
    String type,
    String defaultText,
    String range,
    String description,
    BiFunction<Settings, Key<T>, T> reader) {

  /** The value from {@code s}, or the declared default when unset or blank. */
  public T read(Settings s) {
    return reader.apply(s, this);
  }

  public T read(Function<String, String> lookup) {
    return read(new Settings(lookup));
  }

  /** The declared default, typed: the value read when nothing is set. */
  public T defaultValue() {
    return read(k -> null);
  }

  /** The environment variable that overrides this key. */
  public String envName() {
    return ConfigSource.envName(name);
  }

  public static Key<String> string(String name, String def, String description) {
    return new Key<>(
        name, "string", def, "", description, (s, k) -> s.string(name, emptyToNull(def)));
  }

  /** A secret: never printed, never in a committed file. */
  public static Key<String> secret(String name, String description) {
    return new Key<>(name, "secret", "", "", description, (s, k) -> s.raw(name));
  }

  public static Key<Integer> integer(String name, int def, int min, int max, String description) {
    return new Key<>(
        name,
        "integer",
        String.valueOf(def),
        min + ".." + max,
        description,
        (s, k) -> s.integer(name, def, min, max));
  }

  public static Key<Boolean> bool(String name, boolean def, String description) {
    return new Key<>(
        name,
        "boolean",
        String.valueOf(def),
        "true, false",
        description,
        (s, k) -> s.bool(name, def));
  }

  /** A duration; {@code def} is written as in the file (500ms, 5s, 2m, PT5S). */
  public static Key<Duration> duration(String name, String def, String description) {
    Duration parsed = new Settings(Map.of(name, def)::get).duration(name, null);
    return new Key<>(name, "duration", def, "", description, (s, k) -> s.duration(name, parsed));
  }

  public static <E extends Enum<E>> Key<E> enumeration(
      String name, Class<E> type, E def, String description) {
    StringBuilder allowed = new StringBuilder();
    for (E c : type.getEnumConstants()) {
      allowed.append(allowed.length() == 0 ? "" : ", ").append(text(c));
    }
    return new Key<>(
        name,
        "enum",
        text(def),
        allowed.toString(),
        description,
        (s, k) -> s.enumeration(name, type, def));
  }

  /** An absolute http(s) URL; {@code def} "" = none (null). */
  public static Key<String> httpUrl(String name, String def, String description) {
    return new Key<>(
        name, "url", def, "http(s) URL", description, (s, k) -> s.httpUrl(name, emptyToNull(def)));
  }

  /**
   * An optional value that must match {@code regex}, described as {@code what} when it does not.
   */
  public static Key<String> matching(String name, String regex, String what, String description) {
    return new Key<>(
        name, "string", "", what, description, (s, k) -> s.matching(name, regex, what));
  }

  /**
   * A key with its own reading and checks, e.g. a list or a pair syntax; {@code reader} gets the
   * raw value (null when unset or blank, the default then being the caller's to apply).
   */
  public static <T> Key<T> custom(
      String name,
      String type,
      String def,
      String range,
      String description,
      BiFunction<Settings, Key<T>, T> reader) {
    return new Key<>(name, type, def, range, description, reader);
  }

  /** The raw value, or the declared default text when unset (null when that is empty too). */
  public String rawOrDefault(Settings s) {
    String v = s.raw(name);
    return v != null ? v : emptyToNull(defaultText);
  }

  private static String text(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private static String emptyToNull(String v) {
    return v == null || v.isEmpty() ? null : v;
  }

  @Override
  public String toString() {
    return name;
  }
}
