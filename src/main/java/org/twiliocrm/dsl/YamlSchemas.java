package org.twiliocrm.dsl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.fge.jsonschema.core.exceptions.ProcessingException;
import com.github.fge.jsonschema.core.report.ProcessingMessage;
import com.github.fge.jsonschema.core.report.ProcessingReport;
import com.github.fge.jsonschema.main.JsonSchema;
import com.github.fge.jsonschema.main.JsonSchemaFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;
import org.twiliocrm.config.Finding;

/**
 * The JSON Schemas of the connector's own YAML formats, published in schemas/ (and packaged in the
 * jar), checked here with file:line. Editors read the same files through the {@code #
 * yaml-language-server: $schema=} comment at the top of each shipped file, so the editor and the
 * {@code validate} command never disagree.
 */
public final class YamlSchemas {
  public static final String FLOW_TEST = "flow-test.schema.json";
  public static final String SEND_RULES = "send-rules.schema.json";
  public static final String TEMPLATES = "templates.schema.json";
  public static final String POLICIES = "policies.schema.json";
  public static final String WRITEBACK_MAPPINGS = "writeback-mappings.schema.json";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, JsonSchema> CACHE = new ConcurrentHashMap<>();

  private YamlSchemas() {}

  /**
   * The schema a YAML file names on its {@code # yaml-language-server: $schema=} line (its file
   * name, e.g. templates.schema.json), if any: what the editor uses for it.
   */
  public static Optional<String> declared(String text) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile(
                "(?m)^#\\s*yaml-language-server:\\s*\\$schema=\\S*?([A-Za-z0-9_.-]+\\.schema\\.json)\\s*$")
            .matcher(text);
    return m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }

  /** Schema problems of one YAML document, each at the line of the offending node. */
  public static List<Finding> check(String schemaName, Path file, String text) {
    Node root;
    try {
      root = composer(file, text).getSingleNode().orElse(null);
    } catch (MarkedYamlEngineException e) {
      return List.of(syntaxError(file, e));
    }
    if (root == null) {
      return List.of(new Finding(file, 1, "the file is empty"));
    }
    ProcessingReport report;
    try {
      report = schema(schemaName).validate(toJson(root), true);
    } catch (ProcessingException e) {
      return List.of(new Finding(file, 0, "schema check failed: " + e.getMessage()));
    }
    return findings(file, root, report, "");
  }

  private static List<Finding> findings(
      Path file, Node root, ProcessingReport report, String prefix) {
    List<Finding> out = new ArrayList<>();
    for (ProcessingMessage m : report) {
      JsonNode j = m.asJson();
      String pointer = j.path("instance").path("pointer").asText("");
      out.add(new Finding(file, line(root, pointer, j), prefix + describe(pointer, m, j)));
    }
    return out;
  }

  /** The node's line; for keys the schema does not allow, the line of the first such key. */
  private static int line(Node root, String pointer, JsonNode message) {
    JsonNode unwanted = message.path("unwanted");
    if (unwanted.isArray() && unwanted.size() > 0) {
      String key = unwanted.get(0).asText().replace("~", "~0").replace("/", "~1");
      return lineOf(root, pointer + "/" + key);
    }
    return lineOf(root, pointer);
  }

  /**
   * The write-back mapping of a route file: the parameters of each {@code
   * kamelet:salesforce-writeback-*-sink} endpoint against that sink's definition in
   * writeback-mappings.schema.json (the schema the file names for the editor), each problem at the
   * parameter's line.
   */
  public static List<Finding> checkWritebackSinks(Path file, String text) {
    List<Finding> out = new ArrayList<>();
    try {
      Composer composer = composer(file, text);
      while (composer.hasNext()) {
        sinks(file, composer.next(), out);
      }
    } catch (MarkedYamlEngineException e) {
      out.add(syntaxError(file, e));
    }
    return out;
  }

  /** A node composer over the text, its marks labelled with the file (for both checks above). */
  private static Composer composer(Path file, String text) {
    LoadSettings settings = LoadSettings.builder().setLabel(file.toString()).build();
    return new Composer(
        settings, new ParserImpl(settings, new StreamReader(settings, new StringReader(text))));
  }

  /** A YAML syntax error as a finding at its line (0 when the parser gives no mark). */
  private static Finding syntaxError(Path file, MarkedYamlEngineException e) {
    int line = e.getProblemMark().map(m -> m.getLine() + 1).orElse(0);
    return new Finding(file, line, "YAML syntax: " + e.getProblem());
  }

  private static final Map<String, String> SINKS =
      Map.of(
          "kamelet:salesforce-writeback-messages-sink", "/definitions/messagesSink",
          "kamelet:salesforce-writeback-actions-sink", "/definitions/actionsSink");

  private static void sinks(Path file, Node n, List<Finding> out) {
    if (n instanceof SequenceNode s) {
      s.getValue().forEach(x -> sinks(file, x, out));
      return;
    }
    if (!(n instanceof MappingNode m)) {
      return;
    }
    String uri = null;
    Node parameters = null;
    for (NodeTuple t : m.getValue()) {
      String key = t.getKeyNode() instanceof ScalarNode k ? k.getValue() : "";
      if (key.equals("uri") && t.getValueNode() instanceof ScalarNode v) {
        uri = v.getValue();
      } else if (key.equals("parameters")) {
        parameters = t.getValueNode();
      }
    }
    String definition = uri == null ? null : SINKS.get(uri.trim());
    if (definition != null && parameters != null) {
      String kamelet = uri.trim().substring("kamelet:".length());
      try {
        JsonSchema schema =
            JsonSchemaFactory.byDefault().getJsonSchema(schemaJson(WRITEBACK_MAPPINGS), definition);
        out.addAll(
            findings(
                file,
                parameters,
                schema.validate(toJson(parameters), true),
                kamelet + " parameters: "));
      } catch (ProcessingException e) {
        out.add(new Finding(file, 0, "schema check failed: " + e.getMessage()));
      }
      return;
    }
    for (NodeTuple t : m.getValue()) {
      sinks(file, t.getValueNode(), out);
    }
  }

  private static final Map<String, JsonNode> RAW = new ConcurrentHashMap<>();

  private static JsonNode schemaJson(String name) {
    return RAW.computeIfAbsent(
        name,
        n -> {
          try (InputStream in =
              YamlSchemas.class.getClassLoader().getResourceAsStream("schemas/" + n)) {
            if (in == null) {
              throw new IllegalStateException("schema schemas/" + n + " is not packaged");
            }
            return JSON.readTree(in);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  private static String describe(String pointer, ProcessingMessage m, JsonNode j) {
    String where = pointer.isEmpty() ? "top level" : pointer.substring(1).replace('/', '.');
    String msg = m.getMessage();
    // "oneOf"/"anyOf" failures say little on their own: name the alternatives' own reports.
    if (j.has("reports")) {
      List<String> inner = new ArrayList<>();
      j.get("reports").forEach(r -> r.forEach(x -> inner.add(x.path("message").asText())));
      if (!inner.isEmpty()) {
        msg = msg + " (" + String.join("; ", inner.stream().distinct().toList()) + ")";
      }
    }
    return where + ": " + msg;
  }

  static JsonSchema schema(String name) {
    return CACHE.computeIfAbsent(
        name,
        n -> {
          // The packaged text is read once (schemaJson) and shared with the write-back sink check.
          try {
            return JsonSchemaFactory.byDefault().getJsonSchema(schemaJson(n));
          } catch (ProcessingException e) {
            throw new IllegalStateException("schema " + n + ": " + e.getMessage(), e);
          }
        });
  }

  /** The node tree as JSON; scalars keep YAML's core types (int, float, bool, null, string). */
  static JsonNode toJson(Node n) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    if (n instanceof MappingNode m) {
      ObjectNode o = f.objectNode();
      for (NodeTuple t : m.getValue()) {
        String key = t.getKeyNode() instanceof ScalarNode s ? s.getValue() : "?";
        o.set(key, toJson(t.getValueNode()));
      }
      return o;
    }
    if (n instanceof SequenceNode s) {
      ArrayNode a = f.arrayNode();
      s.getValue().forEach(x -> a.add(toJson(x)));
      return a;
    }
    ScalarNode s = (ScalarNode) n;
    String v = s.getValue();
    if (s.isPlain()) {
      if (v.isEmpty() || v.equals("~") || v.equalsIgnoreCase("null")) {
        return f.nullNode();
      }
      if (v.equals("true") || v.equals("false")) {
        return f.booleanNode(Boolean.parseBoolean(v));
      }
      if (v.matches("[-+]?[0-9]+")) {
        try {
          return f.numberNode(Long.parseLong(v));
        } catch (NumberFormatException e) {
          return f.textNode(v);
        }
      }
      if (v.matches("[-+]?([0-9]*\\.[0-9]+|[0-9]+\\.[0-9]*)([eE][-+]?[0-9]+)?")) {
        return f.numberNode(Double.parseDouble(v));
      }
    }
    return f.textNode(v);
  }

  /** The 1-based line of the node a JSON pointer names (its key's line for mapping entries). */
  static int lineOf(Node root, String pointer) {
    Node n = root;
    int line = root.getStartMark().map(m -> m.getLine() + 1).orElse(0);
    if (pointer.isEmpty()) {
      return line;
    }
    for (String raw : pointer.substring(1).split("/", -1)) {
      String part = raw.replace("~1", "/").replace("~0", "~");
      Optional<Node> next = Optional.empty();
      if (n instanceof MappingNode m) {
        for (NodeTuple t : m.getValue()) {
          if (t.getKeyNode() instanceof ScalarNode s && s.getValue().equals(part)) {
            line = t.getKeyNode().getStartMark().map(mk -> mk.getLine() + 1).orElse(line);
            next = Optional.of(t.getValueNode());
          }
        }
      } else if (n instanceof SequenceNode s && part.matches("[0-9]+")) {
        int i = Integer.parseInt(part);
        if (i < s.getValue().size()) {
          next = Optional.of(s.getValue().get(i));
          line = next.get().getStartMark().map(mk -> mk.getLine() + 1).orElse(line);
        }
      }
      if (next.isEmpty()) {
        return line;
      }
      n = next.get();
    }
    return line;
  }
}
