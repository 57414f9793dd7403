package org.twiliocrm.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;

/**
 * One flow test file (tests/*.flow.yaml, examples/NAME/tests/*.flow.yaml): connector settings for
 * the file, then tests, each a list of steps (inputs, or awaits) and the expectations that must
 * hold afterwards. The format is described by schemas/flow-test.schema.json and docs/flow-tests.md.
 *
 * <pre>
 * name: outbox to SMS
 * config: { outbox.poll-interval: 200ms }        # optional connector keys for this file
 * tests:
 *   - name: a row becomes one SMS
 *     steps:
 *       - outbox: { recipient: "+14155552671", body: "Hi" }
 *     expect:
 *       twilio: [ { to: "+14155552671", body: "Hi", channel: sms } ]
 *       outbox: [ { recipient: "+14155552671", status: SENT } ]
 * </pre>
 */
public record FlowTestFile(
    Path path, String name, Map<String, String> config, List<Test> tests, Path treeRoot) {

  /** One test: steps run in order, then expectations are polled until they hold or time out. */
  public record Test(
      String name, List<Map<String, Object>> steps, Expect expect, Duration timeout) {}

  /**
   * What must hold. Lists of partial records: every key given must equal the actual value (as
   * text). {@code twilio} and {@code outbox} are exact (the new messages/rows of this test, no
   * more, in any order); {@code salesforce} and {@code consent} need each entry to match a record.
   */
  public record Expect(
      List<Map<String, Object>> twilio,
      List<Map<String, Object>> outbox,
      List<Map<String, Object>> salesforce,
      List<Map<String, Object>> consent) {
    boolean isEmpty() {
      return twilio == null && outbox == null && salesforce == null && consent == null;
    }
  }

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);

  /** Reads and checks a file; a mistake throws {@link FlowTestException} with file:line. */
  public static FlowTestFile load(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    Object doc;
    try {
      doc = new Load(LoadSettings.builder().setLabel(file.toString()).build()).loadFromString(text);
    } catch (MarkedYamlEngineException e) {
      int line = e.getProblemMark().map(m -> m.getLine() + 1).orElse(0);
      throw new FlowTestException(file + ":" + line + ": YAML syntax: " + e.getProblem());
    }
    List<String> problems =
        org.twiliocrm.dsl.YamlSchemas.check(org.twiliocrm.dsl.YamlSchemas.FLOW_TEST, file, text)
            .stream()
            .map(Object::toString)
            .toList();
    if (!problems.isEmpty()) {
      throw new FlowTestException(String.join("\n", problems));
    }
    Map<?, ?> root = (Map<?, ?>) doc;
    Map<String, String> config = new LinkedHashMap<>();
    if (root.get("config") instanceof Map<?, ?> c) {
      c.forEach((k, v) -> config.put(String.valueOf(k), String.valueOf(v)));
    }
    List<Test> tests = new ArrayList<>();
    for (Object o : (List<?>) root.get("tests")) {
      Map<?, ?> t = (Map<?, ?>) o;
      List<Map<String, Object>> steps = new ArrayList<>();
      if (t.get("steps") instanceof List<?> l) {
        l.forEach(s -> steps.add(stringKeys(s)));
      }
      Map<String, Object> e = t.get("expect") == null ? Map.of() : stringKeys(t.get("expect"));
      Duration timeout =
          t.get("timeoutSeconds") instanceof Number n
              ? Duration.ofMillis((long) (n.doubleValue() * 1000))
              : DEFAULT_TIMEOUT;
      tests.add(new Test(String.valueOf(t.get("name")), steps, expect(e), timeout));
    }
    Path abs = file.toAbsolutePath().normalize();
    Path dir = abs.getParent();
    // tests/ sits in the tree it tests: its parent holds routes/, rules/, templates/...
    Path tree =
        dir.getFileName() != null && dir.getFileName().toString().equals("tests")
            ? dir.getParent()
            : dir;
    String name =
        root.get("name") == null ? file.getFileName().toString() : root.get("name").toString();
    return new FlowTestFile(file, name, config, tests, tree);
  }

  static Expect expect(Map<String, Object> e) {
    return new Expect(
        list(e.get("twilio")),
        list(e.get("outbox")),
        list(e.get("salesforce")),
        list(e.get("consent")));
  }

  private static List<Map<String, Object>> list(Object o) {
    if (o == null) {
      return null;
    }
    List<Map<String, Object>> out = new ArrayList<>();
    ((List<?>) o).forEach(x -> out.add(stringKeys(x)));
    return out;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> stringKeys(Object o) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (o instanceof Map<?, ?> map) {
      map.forEach((k, v) -> m.put(String.valueOf(k), v));
    }
    return m;
  }

  /** A test file that cannot be read: the message says where and why. */
  public static final class FlowTestException extends RuntimeException {
    public FlowTestException(String message) {
      super(message);
    }
  }
}
