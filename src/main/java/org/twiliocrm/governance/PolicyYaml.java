package org.twiliocrm.governance;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;
import org.twiliocrm.config.Settings;

/**
 * What the two policy files' loaders ({@link PolicyLoader} for the approval rules, {@link
 * RecipientPolicyLoader} for the recipient checks) share in reading YAML: the file's bytes and node
 * tree, with problems reported as {@link PolicyException} naming file:line, and the node helpers
 * their checks use.
 */
final class PolicyYaml {
  private PolicyYaml() {}

  /** The bytes at {@code location}; an unreadable file is a {@link PolicyException}. */
  static byte[] bytes(String location) {
    try {
      return PolicyLoader.read(location);
    } catch (IOException e) {
      throw new PolicyException(List.of(location + ": cannot read: " + e.getMessage()));
    }
  }

  /** The file's node tree, empty for an empty file; a YAML syntax error names its line. */
  static Optional<Node> compose(String location, byte[] bytes) {
    try {
      LoadSettings settings = LoadSettings.builder().setLabel(location).build();
      return new Composer(
              settings,
              new ParserImpl(
                  settings, new StreamReader(settings, new String(bytes, StandardCharsets.UTF_8))))
          .getSingleNode();
    } catch (MarkedYamlEngineException e) {
      int line = e.getProblemMark().map(m -> m.getLine() + 1).orElse(0);
      throw new PolicyException(
          List.of(location + ":" + line + ": YAML syntax: " + oneLine(e.getProblem())));
    } catch (RuntimeException e) {
      throw new PolicyException(List.of(location + ": YAML: " + oneLine(e.getMessage())));
    }
  }

  /**
   * A list of plain values, or one plain value standing for a list of one, trimmed and in order.
   * Each problem (a value that is not plain, an empty list) goes to {@code problem} with the node
   * it is about; the values read are returned all the same.
   */
  static Set<String> list(Node v, BiConsumer<Node, String> problem) {
    Set<String> out = new LinkedHashSet<>();
    if (v instanceof SequenceNode seq) {
      for (Node n : seq.getValue()) {
        String s = scalar(n);
        if (s == null || s.isBlank()) {
          problem.accept(n, "expected a plain value");
        } else {
          out.add(s.trim());
        }
      }
    } else if (v instanceof ScalarNode && scalar(v) != null && !scalar(v).isBlank()) {
      out.add(scalar(v).trim());
    }
    if (out.isEmpty()) {
      problem.accept(v, "expected a non-empty list");
    }
    return out;
  }

  /** The node's value as a positive duration (30m, 24h, PT1H); null when it is not one. */
  static Duration positiveDuration(Node v) {
    String s = scalar(v);
    try {
      Duration d = new Settings(Map.of("d", s == null ? "" : s)::get).duration("d", null);
      return d == null || d.isNegative() || d.isZero() ? null : d;
    } catch (RuntimeException e) {
      return null;
    }
  }

  static String scalar(Node n) {
    return n instanceof ScalarNode s ? s.getValue() : null;
  }

  /** An empty value or {@code null}. */
  static boolean isNull(Node n) {
    return n instanceof ScalarNode s && (s.getValue().isEmpty() || s.getValue().equals("null"));
  }

  /** The node's line in the file, 1-based; 0 when unknown. */
  static int line(Node n) {
    return n.getStartMark().map(m -> m.getLine() + 1).orElse(0);
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s+", " ").trim();
  }
}
