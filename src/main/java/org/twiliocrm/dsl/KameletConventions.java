package org.twiliocrm.dsl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.twiliocrm.config.Finding;

/**
 * The project's kamelet conventions (see kamelets/README.md), checked by the validate command and
 * by the test suite: the name equals the file name and reads {@code
 * <system>-<verb>-<source|sink|action>}; every property has a title, a description and a type;
 * secrets are {@code format: password} in the credentials group; types and dependencies are
 * declared.
 */
public final class KameletConventions {
  private static final Pattern NAME =
      Pattern.compile("[a-z0-9]+(-[a-z0-9]+)+-(source|sink|action)");
  private static final Pattern SECRET_NAME =
      Pattern.compile("(?i).*(token|secret|password|apikey|api-key|credential).*");
  private static final Pattern HEADER_CONTRACT = Pattern.compile("(?i)reads (no )?headers?\\b");
  private static final Set<String> TYPES = Set.of("source", "sink", "action");
  private static final String CREDENTIALS = "urn:camel:group:credentials";

  private KameletConventions() {}

  @SuppressWarnings("unchecked")
  public static List<Finding> check(Path file, Object document) {
    List<Finding> out = new ArrayList<>();
    if (!(document instanceof Map<?, ?> root)) {
      out.add(new Finding(file, 0, "a kamelet must be a YAML mapping with kind: Kamelet"));
      return out;
    }
    if (!"Kamelet".equals(root.get("kind"))) {
      out.add(new Finding(file, 0, "kind must be Kamelet, got " + root.get("kind")));
    }
    Map<String, Object> metadata = map(root.get("metadata"));
    String name = metadata == null ? null : (String) metadata.get("name");
    String fileName = file.getFileName().toString();
    if (name == null) {
      out.add(new Finding(file, 0, "metadata.name is missing"));
    } else {
      if (!fileName.equals(name + ".kamelet.yaml")) {
        out.add(
            new Finding(
                file,
                0,
                "metadata.name '" + name + "' must equal the file name without .kamelet.yaml"));
      }
      if (!NAME.matcher(name).matches()) {
        out.add(
            new Finding(
                file, 0, "name '" + name + "' must read <system>-<verb>-<source|sink|action>"));
      }
      Map<String, Object> labels = metadata == null ? null : map(metadata.get("labels"));
      Object type = labels == null ? null : labels.get("camel.apache.org/kamelet.type");
      if (type == null || !TYPES.contains(type.toString())) {
        out.add(
            new Finding(
                file, 0, "label camel.apache.org/kamelet.type must be source, sink or action"));
      } else if (!name.endsWith("-" + type)) {
        out.add(new Finding(file, 0, "name '" + name + "' must end with its type '-" + type + "'"));
      }
    }
    Map<String, Object> spec = map(root.get("spec"));
    if (spec == null) {
      out.add(new Finding(file, 0, "spec is missing"));
      return out;
    }
    Map<String, Object> definition = map(spec.get("definition"));
    if (definition == null) {
      out.add(new Finding(file, 0, "spec.definition is missing"));
    } else {
      requireText(file, definition, "title", "spec.definition", out);
      requireText(file, definition, "description", "spec.definition", out);
      Map<String, Object> props = map(definition.get("properties"));
      List<Object> required =
          definition.get("required") instanceof List<?> l ? (List<Object>) l : List.of();
      if (props != null) {
        for (Map.Entry<String, Object> e : props.entrySet()) {
          String where = "property '" + e.getKey() + "'";
          Map<String, Object> p = map(e.getValue());
          if (p == null) {
            out.add(new Finding(file, 0, where + " must be a mapping"));
            continue;
          }
          requireText(file, p, "title", where, out);
          requireText(file, p, "description", where, out);
          requireText(file, p, "type", where, out);
          if (SECRET_NAME.matcher(e.getKey()).matches()) {
            if (!"password".equals(p.get("format"))) {
              out.add(new Finding(file, 0, where + " looks secret and must have format: password"));
            }
            Object descriptors = p.get("x-descriptors");
            if (!(descriptors instanceof List<?> d) || !d.contains(CREDENTIALS)) {
              out.add(
                  new Finding(
                      file,
                      0,
                      where + " looks secret and must list x-descriptors: " + CREDENTIALS));
            }
          }
        }
      }
      for (Object r : required) {
        if (props == null || !props.containsKey(String.valueOf(r))) {
          out.add(new Finding(file, 0, "required property '" + r + "' is not defined"));
        }
      }
    }
    if (!(spec.get("types") instanceof Map<?, ?>)) {
      out.add(new Finding(file, 0, "spec.types must declare the in/out media types"));
    }
    if (!(spec.get("dependencies") instanceof List<?> deps) || deps.isEmpty()) {
      out.add(new Finding(file, 0, "spec.dependencies must list the components the kamelet uses"));
    }
    if (!(spec.get("template") instanceof Map<?, ?> template)) {
      out.add(new Finding(file, 0, "spec.template is missing"));
    } else {
      Map<String, Object> props = definition == null ? null : map(definition.get("properties"));
      beanShells(file, template, props == null ? Set.of() : props.keySet(), out);
    }
    String type = type(metadata);
    if (definition != null
        && ("action".equals(type) || "sink".equals(type))
        && !(definition.get("description") instanceof String d
            && HEADER_CONTRACT.matcher(d).find())) {
      out.add(
          new Finding(
              file,
              0,
              "an action or sink documents its header contract: its description says which"
                  + " headers it reads ('Reads headers ...' or 'Reads no headers') and sets"));
    }
    return out;
  }

  private static String type(Map<String, Object> metadata) {
    Map<String, Object> labels = metadata == null ? null : map(metadata.get("labels"));
    Object type = labels == null ? null : labels.get("camel.apache.org/kamelet.type");
    return type == null ? null : type.toString();
  }

  /**
   * A {@code bean:} step whose bean a property names is a shell: the caller picks the Java and the
   * kamelet says nothing of it. The Java a kamelet needs is bound in {@code template.beans}.
   */
  private static void beanShells(
      Path file, Object node, Set<String> properties, List<Finding> out) {
    if (node instanceof List<?> list) {
      list.forEach(n -> beanShells(file, n, properties, out));
    } else if (node instanceof Map<?, ?> m) {
      if (m.get("bean") instanceof Map<?, ?> bean
          && bean.get("ref") instanceof String ref
          && ref.startsWith("{{")
          && properties.contains(ref.replaceAll("[{}]", ""))) {
        out.add(
            new Finding(
                file,
                0,
                "bean step ref '"
                    + ref
                    + "' is chosen by a property; bind the Java in template.beans (#class:...)"
                    + " and refer to it by its local name"));
      }
      m.values().forEach(v -> beanShells(file, v, properties, out));
    }
  }

  private static void requireText(
      Path file, Map<String, Object> m, String key, String where, List<Finding> out) {
    Object v = m.get(key);
    if (!(v instanceof String s) || s.isBlank()) {
      out.add(new Finding(file, 0, where + " must have a " + key));
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return o instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
  }
}
