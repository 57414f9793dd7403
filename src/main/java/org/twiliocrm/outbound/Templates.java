package org.twiliocrm.outbound;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.twiliocrm.governance.templates.MessageTemplate;
import org.twiliocrm.governance.templates.TemplateFiles;

/**
 * The templates as the files declare them now (the last set that loaded without errors): which
 * names exist and which variables they use. The text that is sent does not come from here but from
 * the last approved version ({@link org.twiliocrm.governance.templates.ApprovedTemplates}).
 */
public final class Templates {
  private volatile Map<String, MessageTemplate> byName;

  public Templates(Map<String, MessageTemplate> templates) {
    this.byName = Map.copyOf(templates);
  }

  /** Test helper: SMS-only templates in the default locale "en", variables up to 100 chars. */
  public static Templates ofSmsBodies(Map<String, String> bodies) {
    Map<String, MessageTemplate> m = new LinkedHashMap<>();
    bodies.forEach(
        (name, body) -> {
          Map<String, MessageTemplate.Variable> vars = new LinkedHashMap<>();
          MessageTemplate.variablesOf(body)
              .forEach(v -> vars.put(v, new MessageTemplate.Variable(v, 100, false)));
          m.put(
              name,
              new MessageTemplate(
                  name,
                  "transactional",
                  "en",
                  null,
                  Map.copyOf(vars),
                  Map.of("en", new MessageTemplate.Forms(body, null, null, null))));
        });
    return new Templates(m);
  }

  /** Loads and checks the files; any finding is an error that names file:line. */
  public static Templates load(String location, String defaultLocale) {
    TemplateFiles.Loaded loaded = TemplateFiles.load(location, defaultLocale);
    if (!loaded.ok()) {
      throw new IllegalArgumentException(
          "templates in " + loaded.description() + " have errors:\n" + loaded.errorText());
    }
    return new Templates(loaded.templates());
  }

  public Optional<MessageTemplate> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  public Map<String, MessageTemplate> all() {
    return byName;
  }

  /** A new good set from the files (a running connector's reload). */
  public void replace(Map<String, MessageTemplate> templates) {
    this.byName = Map.copyOf(templates);
  }

  /**
   * The template's current version (the hash of its normalized content) for the policy gate's
   * first-send rule; null for an unknown template.
   */
  public String version(String name) {
    return find(name).map(MessageTemplate::version).orElse(null);
  }

  public int size() {
    return byName.size();
  }
}
