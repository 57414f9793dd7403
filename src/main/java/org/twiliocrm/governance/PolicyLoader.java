package org.twiliocrm.governance;

import static org.twiliocrm.governance.PolicyYaml.isNull;
import static org.twiliocrm.governance.PolicyYaml.line;
import static org.twiliocrm.governance.PolicyYaml.scalar;

import com.google.i18n.phonenumbers.PhoneNumberUtil;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Reads and checks a policy file. Works on the YAML node tree, not plain maps, so every problem
 * names its line: {@code governance/policies.yaml:12: rule 'bulk': unknown template 'promo'}. All
 * problems are collected and reported together; any problem means no policy (never half of one).
 *
 * <pre>
 * approval-expiry: 24h          # optional, default governance.approval-expiry
 * rules:
 *   - name: bulk-campaign
 *     when:
 *       bulk: { by: campaign, more-than: 100, window: 1h }   # by: campaign | template
 *   - name: crm-free-text
 *     when: { free-text-from: [crm] }                       # crm | table
 *   - name: new-template-version
 *     when: { first-send-of-template-version: true }
 *   - name: abroad
 *     when: { destination-outside: [US, CA] }               # ISO 3166 region codes
 *   - name: foreign-links
 *     when: { urls-outside: [example.com] }                 # the domain and its subdomains
 *   - name: calls
 *     when: { channel: [voice] }                            # also: template: [name, ...]
 * </pre>
 */
public final class PolicyLoader {
  private static final Set<String> RULE_KEYS = Set.of("name", "description", "when");
  private static final Set<String> WHEN_KEYS =
      Set.of(
          "bulk",
          "free-text-from",
          "first-send-of-template-version",
          "destination-outside",
          "urls-outside",
          "channel",
          "template");
  private static final Set<String> SOURCES = Set.of("crm", "table");

  private final Predicate<String> templateExists;
  private final Duration defaultExpiry;

  /**
   * @param templateExists whether a template name is known (a rule naming another is an error)
   * @param defaultExpiry approval expiry when the file sets none
   */
  public PolicyLoader(Predicate<String> templateExists, Duration defaultExpiry) {
    this.templateExists = templateExists;
    this.defaultExpiry = defaultExpiry;
  }

  /** Reads {@code location} (a path, {@code file:path} or {@code classpath:path}). */
  public Policy load(String location) {
    return parse(location, PolicyYaml.bytes(location));
  }

  /** The bytes at {@code location}; a missing file is an IOException. */
  public static byte[] read(String location) throws IOException {
    if (location.startsWith("classpath:")) {
      String res = location.substring("classpath:".length());
      try (InputStream in = PolicyLoader.class.getClassLoader().getResourceAsStream(res)) {
        if (in == null) {
          throw new IOException("no classpath resource " + res);
        }
        return in.readAllBytes();
      }
    }
    return Files.readAllBytes(
        Path.of(location.startsWith("file:") ? location.substring(5) : location));
  }

  /** Parses and checks the file's bytes; throws {@link PolicyException} listing every problem. */
  public Policy parse(String location, byte[] bytes) {
    List<String> problems = new ArrayList<>();
    Optional<Node> root = PolicyYaml.compose(location, bytes);
    Duration expiry = defaultExpiry;
    List<Policy.Rule> rules = new ArrayList<>();
    if (root.isEmpty()) {
      return new Policy(location, sha256(bytes), expiry, rules);
    }
    if (!(root.get() instanceof MappingNode top)) {
      throw new PolicyException(
          List.of(location + ":" + line(root.get()) + ": expected a map with 'rules:'"));
    }
    Set<String> names = new LinkedHashSet<>();
    for (NodeTuple t : top.getValue()) {
      String key = scalar(t.getKeyNode());
      Node v = t.getValueNode();
      switch (key) {
        case "approval-expiry" -> {
          Duration d = duration(location, v, problems);
          if (d != null) {
            expiry = d;
          }
        }
        case "rules" -> {
          if (v instanceof SequenceNode seq) {
            for (Node r : seq.getValue()) {
              Policy.Rule rule = rule(location, r, problems);
              if (rule != null && !names.add(rule.name())) {
                problems.add(at(location, r) + "rule name '" + rule.name() + "' used twice");
              } else if (rule != null) {
                rules.add(rule);
              }
            }
          } else if (!isNull(v)) {
            problems.add(at(location, v) + "'rules' must be a list");
          }
        }
        default ->
            problems.add(
                at(location, t.getKeyNode())
                    + "unknown key '"
                    + key
                    + "' (expected approval-expiry, rules)");
      }
    }
    if (!problems.isEmpty()) {
      throw new PolicyException(problems);
    }
    return new Policy(location, sha256(bytes), expiry, List.copyOf(rules));
  }

  private Policy.Rule rule(String loc, Node node, List<String> problems) {
    if (!(node instanceof MappingNode m)) {
      problems.add(at(loc, node) + "a rule must be a map with name and when");
      return null;
    }
    String name = null;
    MappingNode when = null;
    for (NodeTuple t : m.getValue()) {
      String key = scalar(t.getKeyNode());
      if (!RULE_KEYS.contains(key)) {
        problems.add(at(loc, t.getKeyNode()) + "unknown rule key '" + key + "'");
      } else if (key.equals("name")) {
        name = scalar(t.getValueNode());
      } else if (key.equals("when")) {
        if (t.getValueNode() instanceof MappingNode w) {
          when = w;
        } else {
          problems.add(at(loc, t.getValueNode()) + "'when' must be a map of conditions");
        }
      }
    }
    if (name == null || name.isBlank() || !name.matches("[A-Za-z0-9_.-]{1,100}")) {
      problems.add(at(loc, node) + "a rule needs a name of letters, digits, '.', '_' or '-'");
      return null;
    }
    if (when == null || when.getValue().isEmpty()) {
      problems.add(at(loc, node) + "rule '" + name + "' needs at least one condition under 'when'");
      return null;
    }
    int before = problems.size();
    Set<String> channels = Set.of();
    Set<String> templates = Set.of();
    Policy.Bulk bulk = null;
    Set<String> sources = null;
    boolean firstSend = false;
    Set<String> countries = null;
    Set<String> domains = null;
    String r = "rule '" + name + "': ";
    for (NodeTuple t : when.getValue()) {
      String key = scalar(t.getKeyNode());
      Node v = t.getValueNode();
      switch (key) {
        case "channel" -> {
          channels = list(loc, v, r, problems);
          for (String c : channels) {
            try {
              Channel.of(c);
            } catch (IllegalArgumentException e) {
              problems.add(at(loc, v) + r + "unknown channel '" + c + "'");
            }
          }
          channels = lower(channels);
        }
        case "template" -> {
          templates = list(loc, v, r, problems);
          for (String n : templates) {
            if (!templateExists.test(n)) {
              problems.add(at(loc, v) + r + "unknown template '" + n + "'");
            }
          }
        }
        case "bulk" -> bulk = bulk(loc, v, r, problems);
        case "free-text-from" -> {
          sources = lower(list(loc, v, r, problems));
          for (String s : sources) {
            if (!SOURCES.contains(s)) {
              problems.add(at(loc, v) + r + "unknown source '" + s + "' (expected crm, table)");
            }
          }
        }
        case "first-send-of-template-version" -> {
          String s = scalar(v);
          if (!"true".equals(s) && !"false".equals(s)) {
            problems.add(at(loc, v) + r + "first-send-of-template-version must be true or false");
          }
          firstSend = "true".equals(s);
        }
        case "destination-outside" -> {
          countries = new LinkedHashSet<>();
          Set<String> known = PhoneNumberUtil.getInstance().getSupportedRegions();
          for (String c : list(loc, v, r, problems)) {
            String up = c.toUpperCase(Locale.ROOT);
            if (!known.contains(up)) {
              problems.add(at(loc, v) + r + "unknown country '" + c + "'");
            }
            countries.add(up);
          }
        }
        case "urls-outside" -> {
          domains = new LinkedHashSet<>();
          for (String d : list(loc, v, r, problems)) {
            String dd = d.toLowerCase(Locale.ROOT);
            if (!dd.matches("[a-z0-9-]+(\\.[a-z0-9-]+)+")) {
              problems.add(at(loc, v) + r + "'" + d + "' is not a domain name");
            }
            domains.add(dd);
          }
        }
        default ->
            problems.add(
                at(loc, t.getKeyNode())
                    + r
                    + "unknown condition '"
                    + key
                    + "' (expected one of "
                    + String.join(", ", new java.util.TreeSet<>(WHEN_KEYS))
                    + ")");
      }
    }
    if (problems.size() > before) {
      return null;
    }
    return new Policy.Rule(
        name,
        line(node),
        Set.copyOf(channels),
        Set.copyOf(templates),
        bulk,
        sources == null ? null : Set.copyOf(sources),
        firstSend,
        countries == null ? null : Set.copyOf(countries),
        domains == null ? null : Set.copyOf(domains));
  }

  private static Policy.Bulk bulk(String loc, Node v, String r, List<String> problems) {
    if (!(v instanceof MappingNode m)) {
      problems.add(at(loc, v) + r + "bulk must be a map: { by, more-than, window }");
      return null;
    }
    Policy.Bulk.By by = Policy.Bulk.By.CAMPAIGN;
    Integer moreThan = null;
    Duration window = null;
    for (NodeTuple t : m.getValue()) {
      String key = scalar(t.getKeyNode());
      String val = scalar(t.getValueNode());
      switch (key) {
        case "by" -> {
          if ("campaign".equals(val)) {
            by = Policy.Bulk.By.CAMPAIGN;
          } else if ("template".equals(val)) {
            by = Policy.Bulk.By.TEMPLATE;
          } else {
            problems.add(at(loc, t.getValueNode()) + r + "bulk.by must be campaign or template");
          }
        }
        case "more-than" -> {
          try {
            moreThan = Integer.parseInt(val);
            if (moreThan < 0) {
              throw new NumberFormatException();
            }
          } catch (NumberFormatException e) {
            problems.add(at(loc, t.getValueNode()) + r + "bulk.more-than must be a number >= 0");
          }
        }
        case "window" -> window = duration(loc, t.getValueNode(), problems);
        default -> problems.add(at(loc, t.getKeyNode()) + r + "unknown bulk key '" + key + "'");
      }
    }
    if (moreThan == null || window == null) {
      problems.add(at(loc, v) + r + "bulk needs more-than and window");
      return null;
    }
    return new Policy.Bulk(by, moreThan, window);
  }

  private static Duration duration(String loc, Node v, List<String> problems) {
    Duration d = PolicyYaml.positiveDuration(v);
    if (d == null) {
      problems.add(at(loc, v) + "'" + scalar(v) + "' is not a duration (e.g. 30m, 24h, PT1H)");
    }
    return d;
  }

  private static Set<String> list(String loc, Node v, String r, List<String> problems) {
    return PolicyYaml.list(v, (n, problem) -> problems.add(at(loc, n) + r + problem));
  }

  private static Set<String> lower(Set<String> in) {
    Set<String> out = new LinkedHashSet<>();
    in.forEach(s -> out.add(s.toLowerCase(Locale.ROOT)));
    return out;
  }

  private static String at(String loc, Node n) {
    return loc + ":" + line(n) + ": ";
  }

  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
