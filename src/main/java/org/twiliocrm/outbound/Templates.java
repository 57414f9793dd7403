package org.twiliocrm.outbound;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * Message templates an integration engineer edits in YAML, not Java:
 *
 * <pre>
 * templates:
 *   appointment-reminder:
 *     body: "Hi {{name}}, see you on {{date}}. Reply STOP to opt out."
 * </pre>
 *
 * A row names a template and gives its variables as a JSON object; every {@code {{variable}}} the
 * body uses must be given.
 */
public final class Templates {
  private static final Pattern VAR = Pattern.compile("\\{\\{\\s*([A-Za-z0-9_.-]+)\\s*}}");

  /** One template: its body and the variables the body uses. */
  public record Template(String name, String body, Set<String> variables) {
    public String render(Map<String, String> values) {
      Matcher m = VAR.matcher(body);
      StringBuilder out = new StringBuilder(body.length() + 32);
      while (m.find()) {
        m.appendReplacement(out, Matcher.quoteReplacement(values.getOrDefault(m.group(1), "")));
      }
      m.appendTail(out);
      return out.toString();
    }
  }

  private final Map<String, Template> byName;

  public Templates(Map<String, String> bodies) {
    Map<String, Template> m = new LinkedHashMap<>();
    bodies.forEach((name, body) -> m.put(name, new Template(name, body, variablesOf(body))));
    this.byName = Map.copyOf(m);
  }

  public Optional<Template> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /**
   * The template's version for the policy gate: the SHA-256 (first 16 hex digits) of its normalized
   * body (line ends and surrounding blanks do not count); null for an unknown template.
   */
  public String version(String name) {
    Template t = byName.get(name);
    if (t == null) {
      return null;
    }
    String normalized = t.body().replace("\r\n", "\n").strip();
    return org.twiliocrm.governance.PolicyLoader.sha256(
            normalized.getBytes(java.nio.charset.StandardCharsets.UTF_8))
        .substring(0, 16);
  }

  public int size() {
    return byName.size();
  }

  static Set<String> variablesOf(String body) {
    Set<String> vars = new LinkedHashSet<>();
    Matcher m = VAR.matcher(body);
    while (m.find()) {
      vars.add(m.group(1));
    }
    return vars;
  }

  /**
   * Loads {@code file:path}, a plain path, or {@code classpath:path}; a missing file is an error.
   */
  public static Templates load(String location) {
    try (InputStream in = open(location)) {
      Object doc = new Load(LoadSettings.builder().build()).loadFromInputStream(in);
      return fromDocument(doc, location);
    } catch (IOException e) {
      throw new UncheckedIOException("outbox.templates.location: cannot read " + location, e);
    }
  }

  @SuppressWarnings("unchecked")
  static Templates fromDocument(Object doc, String location) {
    Map<String, String> bodies = new LinkedHashMap<>();
    if (doc instanceof Map<?, ?> root && root.get("templates") instanceof Map<?, ?> templates) {
      for (Map.Entry<?, ?> e : templates.entrySet()) {
        Object body =
            e.getValue() instanceof Map<?, ?> t ? ((Map<String, Object>) t).get("body") : null;
        if (!(body instanceof String b) || b.isBlank()) {
          throw new IllegalArgumentException(
              "outbox.templates.location: template '"
                  + e.getKey()
                  + "' in "
                  + location
                  + " needs a non-empty body");
        }
        bodies.put(String.valueOf(e.getKey()), b);
      }
    } else if (doc != null) {
      throw new IllegalArgumentException(
          "outbox.templates.location: " + location + " must have a top-level 'templates:' map");
    }
    return new Templates(bodies);
  }

  private static InputStream open(String location) throws IOException {
    if (location.startsWith("classpath:")) {
      String res = location.substring("classpath:".length());
      InputStream in = Templates.class.getClassLoader().getResourceAsStream(res);
      if (in == null) {
        throw new IOException("no classpath resource " + res);
      }
      return in;
    }
    String path = location.startsWith("file:") ? location.substring(5) : location;
    return Files.newInputStream(Path.of(path));
  }
}
