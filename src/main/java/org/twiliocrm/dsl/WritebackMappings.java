package org.twiliocrm.dsl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;
import org.twiliocrm.config.Finding;
import org.twiliocrm.crm.FieldMapping;

/**
 * The Salesforce write-back mapping as routes write it: the parameters of each {@code
 * kamelet:salesforce-writeback-*-sink} endpoint, with their lines. One place to read the objects
 * and fields the connector writes (for checks against an org), and the validate command's check of
 * every mapping source, reported at the parameter's line.
 */
public final class WritebackMappings {
  /** One sink endpoint in a route file: its kamelet, parameters, and each parameter's line. */
  public record Sink(String kamelet, Map<String, String> parameters, Map<String, Integer> lines) {}

  private static final String PREFIX = "kamelet:salesforce-writeback-";

  /** Which parameter holds a field mapping, and which sources it may use. */
  private static final Map<String, List<String>> MAPPINGS =
      Map.of(
          "fields",
          FieldMapping.MESSAGE_SOURCES,
          "taskFields",
          FieldMapping.TASK_SOURCES,
          "links",
          List.of(),
          "taskLinks",
          List.of());

  private WritebackMappings() {}

  /** Every write-back sink endpoint in a YAML route file's text. */
  public static List<Sink> read(Path file, String yaml) {
    List<Sink> out = new ArrayList<>();
    LoadSettings settings = LoadSettings.builder().setLabel(file.toString()).build();
    Composer composer =
        new Composer(settings, new ParserImpl(settings, new StreamReader(settings, yaml)));
    while (composer.hasNext()) {
      walk(composer.next(), out);
    }
    return out;
  }

  /** Findings for mapping parameters that do not parse or name an unknown source. */
  public static List<Finding> check(Path file, String yaml) {
    List<Finding> out = new ArrayList<>();
    for (Sink sink : read(file, yaml)) {
      for (Map.Entry<String, String> p : sink.parameters().entrySet()) {
        List<String> sources = MAPPINGS.get(p.getKey());
        if (sources == null) {
          continue;
        }
        try {
          FieldMapping.parse(p.getKey(), p.getValue(), sources.isEmpty() ? null : sources);
        } catch (IllegalArgumentException e) {
          out.add(
              new Finding(
                  file, sink.lines().get(p.getKey()), sink.kamelet() + ": " + e.getMessage()));
        }
      }
    }
    return out;
  }

  /**
   * Notes (not errors) for mappings that work but lose a guarantee: a Task mapping with no field
   * for {@code sid} cannot look up a Task before retrying its creation.
   */
  public static List<String> notes(Path file, String yaml) {
    List<String> out = new ArrayList<>();
    for (Sink sink : read(file, yaml)) {
      String spec = sink.parameters().get("taskFields");
      if (spec == null) {
        continue;
      }
      try {
        if (!FieldMapping.parse("taskFields", spec, FieldMapping.TASK_SOURCES)
            .fields()
            .containsValue("sid")) {
          out.add(
              new Finding(
                      file,
                      sink.lines().get("taskFields"),
                      sink.kamelet()
                          + ": taskFields maps no field to sid, so a Task whose creation was"
                          + " interrupted (process killed after Salesforce created it) cannot be"
                          + " looked up and may be created twice; map Twilio_Sid__c=sid")
                  .toString());
        }
      } catch (IllegalArgumentException e) {
        // reported by check
      }
    }
    return out;
  }

  private static void walk(Node node, List<Sink> out) {
    if (node instanceof SequenceNode seq) {
      seq.getValue().forEach(n -> walk(n, out));
    } else if (node instanceof MappingNode map) {
      Node uri = value(map, "uri");
      if (uri instanceof ScalarNode s && s.getValue().startsWith(PREFIX)) {
        String kamelet = s.getValue().substring("kamelet:".length()).split("\\?")[0];
        Map<String, String> params = new LinkedHashMap<>();
        Map<String, Integer> lines = new LinkedHashMap<>();
        if (value(map, "parameters") instanceof MappingNode pm) {
          for (NodeTuple t : pm.getValue()) {
            if (t.getKeyNode() instanceof ScalarNode k
                && t.getValueNode() instanceof ScalarNode v) {
              params.put(k.getValue(), v.getValue());
              lines.put(k.getValue(), k.getStartMark().map(m -> m.getLine() + 1).orElse(0));
            }
          }
        }
        out.add(new Sink(kamelet, params, lines));
      }
      for (NodeTuple t : map.getValue()) {
        walk(t.getValueNode(), out);
      }
    }
  }

  private static Node value(MappingNode map, String key) {
    for (NodeTuple t : map.getValue()) {
      if (t.getKeyNode() instanceof ScalarNode k && key.equals(k.getValue())) {
        return t.getValueNode();
      }
    }
    return null;
  }
}
