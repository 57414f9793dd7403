package org.twiliocrm.governance.templates;

import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.twiliocrm.config.ConfigException;
import org.twiliocrm.config.Key;
import org.twiliocrm.config.Settings;

/**
 * Settings of the template files and their approval (the files' location is {@code
 * outbox.templates.location}).
 *
 * @param defaultLocale the locale a template falls back to when the row names none or one it has no
 *     variant for, unless the template declares its own {@code default-locale}
 * @param reloadInterval how often a running connector re-reads the files and the approved versions;
 *     0 = only at start-up
 */
public record TemplateSettings(String defaultLocale, Duration reloadInterval) {
  public static final Key<String> DEFAULT_LOCALE =
      Key.string(
          "templates.default-locale",
          "en",
          "Locale a template falls back to when the row's locale has no variant (a template may"
              + " declare its own default-locale).");
  public static final Key<Duration> RELOAD_INTERVAL =
      Key.duration(
          "templates.reload-interval",
          "2s",
          "How often the running connector re-reads the template files and the approved versions"
              + " (0 = only at start-up).");

  public static final List<Key<?>> KEYS = List.of(DEFAULT_LOCALE, RELOAD_INTERVAL);

  public static TemplateSettings defaults() {
    return from(k -> null);
  }

  public static TemplateSettings from(Function<String, String> lookup) {
    try {
      Settings s = new Settings(lookup);
      return new TemplateSettings(DEFAULT_LOCALE.read(s), RELOAD_INTERVAL.read(s));
    } catch (ConfigException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }
}
