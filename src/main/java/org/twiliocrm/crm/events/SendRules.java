package org.twiliocrm.crm.events;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * Record-change rules an integration engineer edits in YAML (crm.events.rules-location), e.g.
 *
 * <pre>
 * rules:
 *   - id: case-closed
 *     object: Case
 *     on: [UPDATE]
 *     when: { field: Status, changedTo: Closed }
 *     send:
 *       to: ContactId                 # reference field whose record's phone is used; self = this record
 *       body: "Case {{CaseNumber}} is closed."   # or template: name + variables: {var: Field}
 * </pre>
 *
 * Loaded and checked once at start; a mistake fails the start with the rule id and what is wrong.
 */
public final class SendRules {
  static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([A-Za-z][A-Za-z0-9_]*)\\s*}}");
  private static final Set<String> CHANGE_TYPES = Set.of("CREATE", "UPDATE", "UNDELETE", "DELETE");

  /** One rule. {@code field}/{@code changedTo} may be null (any change of the object matches). */
  public record Rule(
      String id,
      String object,
      Set<String> changeTypes,
      String field,
      String changedTo,
      String channel,
      String to,
      String body,
      String template,
      Map<String, String> variables) {

    /** Fields of the changed record the rule reads (reference, variables, body placeholders). */
    List<String> fieldsToRead() {
      Set<String> f = new LinkedHashSet<>();
      if (!to.equals("self")) {
        f.add(to);
      }
      f.addAll(variables.values());
      if (body != null) {
        Matcher m = PLACEHOLDER.matcher(body);
        while (m.find()) {
          f.add(m.group(1));
        }
      }
      return List.copyOf(f);
    }
  }

  // Volatile, not final: in dev mode (connector.dev) an edited rules file replaces the list while
  // events flow; each event reads one consistent list.
  private volatile List<Rule> rules;

  public SendRules(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  /** Takes over the rules of a freshly loaded file (live reload); the old list stays on failure. */
  public void replaceWith(SendRules loaded) {
    this.rules = loaded.rules;
  }

  /**
   * Loads a rules file for a reload or for {@code validate}: schema problems (with their lines)
   * first, then the checks {@link #parse} makes, at the line of the rule they name.
   */
  public static SendRules loadChecked(Path file, String defaultChannel) throws IOException {
    String text = Files.readString(file, java.nio.charset.StandardCharsets.UTF_8);
    List<org.twiliocrm.config.Finding> problems =
        org.twiliocrm.dsl.YamlSchemas.check(org.twiliocrm.dsl.YamlSchemas.SEND_RULES, file, text);
    if (!problems.isEmpty()) {
      throw new RulesException(problems);
    }
    try {
      Object doc = new Load(LoadSettings.builder().build()).loadFromString(text);
      return parse(doc, file.toString(), defaultChannel);
    } catch (IllegalArgumentException e) {
      int line = 0;
      Matcher m = Pattern.compile("rule '([^']+)'").matcher(e.getMessage());
      if (m.find()) {
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length && line == 0; i++) {
          if (lines[i].matches(
              "\\s*-?\\s*id:\\s*['\"]?" + Pattern.quote(m.group(1)) + "['\"]?\\s*(#.*)?")) {
            line = i + 1;
          }
        }
      }
      String msg = e.getMessage().replace(file + ": ", "");
      throw new RulesException(List.of(new org.twiliocrm.config.Finding(file, line, msg)));
    }
  }

  /** A rules file that does not load, with each problem's file:line. */
  public static final class RulesException extends IllegalArgumentException {
    private final List<org.twiliocrm.config.Finding> findings;

    RulesException(List<org.twiliocrm.config.Finding> findings) {
      super(
          findings.stream()
              .map(Object::toString)
              .collect(java.util.stream.Collectors.joining("; ")));
      this.findings = List.copyOf(findings);
    }

    public List<org.twiliocrm.config.Finding> findings() {
      return findings;
    }
  }

  public List<Rule> rules() {
    return rules;
  }

  public boolean isEmpty() {
    return rules.isEmpty();
  }

  /** Loads {@code classpath:path} or a file path. */
  public static SendRules load(String location, String defaultChannel) {
    try (InputStream in = open(location)) {
      Object doc = new Load(LoadSettings.builder().build()).loadFromInputStream(in);
      return parse(doc, location, defaultChannel);
    } catch (IOException e) {
      throw new UncheckedIOException("crm.events.rules-location: cannot read " + location, e);
    }
  }

  private static InputStream open(String location) throws IOException {
    if (location.startsWith("classpath:")) {
      String path = location.substring("classpath:".length()).replaceFirst("^/", "");
      InputStream in = SendRules.class.getClassLoader().getResourceAsStream(path);
      if (in == null) {
        throw new IOException("not on the classpath: " + path);
      }
      return in;
    }
    Path file = Path.of(location.replaceFirst("^file:", ""));
    if (!Files.exists(file) && !file.isAbsolute()) {
      // rules/ of the editable tree is absent (e.g. no ConfigMap mounted): the packaged copy of
      // the same relative path is the fallback, as for routes and kamelets.
      InputStream in =
          SendRules.class.getClassLoader().getResourceAsStream(file.toString().replace('\\', '/'));
      if (in != null) {
        return in;
      }
    }
    return Files.newInputStream(file);
  }

  /** Where {@link #load} reads from, for reports: the file, or the packaged copy. */
  public static String describe(String location) {
    if (location.startsWith("classpath:")) {
      return location;
    }
    Path file = Path.of(location.replaceFirst("^file:", ""));
    return Files.exists(file) ? file.toAbsolutePath().toString() : "packaged " + location;
  }

  static SendRules parse(Object doc, String where, String defaultChannel) {
    if (doc == null) {
      return new SendRules(List.of());
    }
    if (!(doc instanceof Map<?, ?> root) || !(root.get("rules") instanceof List<?> list)) {
      if (doc instanceof Map<?, ?> m && m.get("rules") == null) {
        return new SendRules(List.of());
      }
      throw new IllegalArgumentException(where + ": expected a top-level 'rules:' list");
    }
    List<Rule> out = new ArrayList<>();
    Set<String> ids = new LinkedHashSet<>();
    int n = 0;
    for (Object o : list) {
      n++;
      if (!(o instanceof Map<?, ?> r)) {
        throw new IllegalArgumentException(where + ": rule #" + n + " is not a mapping");
      }
      String id = str(r.get("id"));
      String label = where + ": rule " + (id == null ? "#" + n : "'" + id + "'");
      if (id == null || !id.matches("[A-Za-z0-9_.-]{1,50}") || !ids.add(id)) {
        throw new IllegalArgumentException(
            label + ": id is required, unique, at most 50 of [A-Za-z0-9_.-]");
      }
      String object = str(r.get("object"));
      if (object == null || !RecipientResolver.FIELD.matcher(object).matches()) {
        throw new IllegalArgumentException(label + ": object (an sObject name) is required");
      }
      Set<String> on = new LinkedHashSet<>();
      Object onValue = r.get("on");
      if (onValue == null) {
        on.add("CREATE");
        on.add("UPDATE");
      } else {
        for (Object t : onValue instanceof List<?> l ? l : List.of(onValue)) {
          String type = String.valueOf(t).toUpperCase(Locale.ROOT);
          if (!CHANGE_TYPES.contains(type)) {
            throw new IllegalArgumentException(
                label + ": on: '" + t + "' is not one of " + CHANGE_TYPES);
          }
          on.add(type);
        }
      }
      String field = null;
      String changedTo = null;
      if (r.get("when") instanceof Map<?, ?> when) {
        field = str(when.get("field"));
        changedTo = when.containsKey("changedTo") ? String.valueOf(when.get("changedTo")) : null;
        if (field == null || !RecipientResolver.FIELD.matcher(field).matches()) {
          throw new IllegalArgumentException(label + ": when.field (a field name) is required");
        }
      } else if (r.get("when") != null) {
        throw new IllegalArgumentException(label + ": when must be a mapping (field, changedTo)");
      }
      if (!(r.get("send") instanceof Map<?, ?> send)) {
        throw new IllegalArgumentException(label + ": send is required");
      }
      String channel = str(send.get("channel"));
      channel = channel == null ? defaultChannel : channel.toLowerCase(Locale.ROOT);
      if (!SendChannel.isKnown(channel)) {
        throw new IllegalArgumentException(
            label + ": send.channel must be one of " + SendChannel.KNOWN + ", got " + channel);
      }
      String to = str(send.get("to"));
      if (to == null || (!to.equals("self") && !RecipientResolver.FIELD.matcher(to).matches())) {
        throw new IllegalArgumentException(
            label + ": send.to must be 'self' or a reference field such as ContactId");
      }
      String body = str(send.get("body"));
      String template = str(send.get("template"));
      if ((body == null) == (template == null)) {
        throw new IllegalArgumentException(
            label + ": give exactly one of send.body, send.template");
      }
      Map<String, String> vars = new LinkedHashMap<>();
      if (send.get("variables") instanceof Map<?, ?> v) {
        for (Map.Entry<?, ?> e : v.entrySet()) {
          String f = str(e.getValue());
          if (f == null || !RecipientResolver.FIELD.matcher(f).matches()) {
            throw new IllegalArgumentException(
                label + ": send.variables." + e.getKey() + " must name a field of " + object);
          }
          vars.put(String.valueOf(e.getKey()), f);
        }
      }
      out.add(
          new Rule(
              id,
              object,
              Set.copyOf(on),
              field,
              changedTo,
              channel,
              to,
              body,
              template,
              Map.copyOf(vars)));
    }
    return new SendRules(out);
  }

  private static String str(Object o) {
    if (o == null) {
      return null;
    }
    String s = String.valueOf(o).trim();
    return s.isEmpty() ? null : s;
  }
}
