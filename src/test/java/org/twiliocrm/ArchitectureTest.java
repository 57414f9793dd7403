package org.twiliocrm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package structure the code promises: the import graph of src/main has no cycle, and only the
 * wiring point (package app) reaches into the sandboxes. It reads the sources, so it sees fully
 * qualified uses as well as imports.
 */
class ArchitectureTest {
  private static final Path MAIN = Path.of("src/main/java");
  private static final Pattern REF =
      Pattern.compile("\\borg\\.twiliocrm((?:\\.[a-z][a-z0-9]*)+)\\.[A-Z]");
  private static final String WIRING = "org.twiliocrm.app";
  private static final String SANDBOX = "org.twiliocrm.sandbox";

  /** package -> packages its classes refer to. */
  private static Map<String, Set<String>> graph() throws IOException {
    Map<String, Set<String>> g = new TreeMap<>();
    try (Stream<Path> files = Files.walk(MAIN)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        String pkg = MAIN.relativize(f.getParent()).toString().replace('/', '.');
        Set<String> deps = g.computeIfAbsent(pkg, k -> new TreeSet<>());
        Matcher m = REF.matcher(code(Files.readString(f)));
        while (m.find()) {
          String dep = "org.twiliocrm" + m.group(1);
          if (!dep.equals(pkg)) {
            deps.add(dep);
          }
        }
      }
    }
    return g;
  }

  /**
   * The source without its comments: a class named in a comment (a {@code {@link}}, a note saying
   * where something is done) is not a dependency. String and character literals and text blocks are
   * kept as they are, so a URL's "//" does not start a comment.
   */
  static String code(String source) {
    StringBuilder out = new StringBuilder(source.length());
    int i = 0;
    int n = source.length();
    while (i < n) {
      char ch = source.charAt(i);
      if (source.startsWith("\"\"\"", i)) {
        int end = source.indexOf("\"\"\"", i + 3);
        while (end > 0 && source.charAt(end - 1) == '\\') {
          end = source.indexOf("\"\"\"", end + 1);
        }
        end = end < 0 ? n : end + 3;
        out.append(source, i, end);
        i = end;
      } else if (ch == '"' || ch == '\'') {
        int j = i + 1;
        while (j < n && source.charAt(j) != ch && source.charAt(j) != '\n') {
          j += source.charAt(j) == '\\' ? 2 : 1;
        }
        j = Math.min(n, j + 1);
        out.append(source, i, j);
        i = j;
      } else if (source.startsWith("//", i)) {
        int end = source.indexOf('\n', i);
        i = end < 0 ? n : end;
      } else if (source.startsWith("/*", i)) {
        int end = source.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
        out.append(' ');
      } else {
        out.append(ch);
        i++;
      }
    }
    return out.toString();
  }

  @Test
  void commentsAreNotDependencies() {
    String src =
        "/** See {@link org.twiliocrm.webhook.UncleanStopRecheck}. */\n"
            + "class A { // org.twiliocrm.crm.Writeback does the rest\n"
            + "  String url = \"http://example.com/x\"; org.twiliocrm.db.Database db;\n"
            + "  char c = '\"'; String s = \"/* not a comment */ \\\" still\";\n"
            + "  org.twiliocrm.outbound.OutboxStore o; }";
    List<String> refs = new ArrayList<>();
    Matcher m = REF.matcher(code(src));
    while (m.find()) {
      refs.add(m.group(1));
    }
    assertThat(refs).containsExactly(".db", ".outbound");
  }

  @Test
  void thePackageGraphHasNoCycle() throws IOException {
    Map<String, Set<String>> g = graph();
    assertThat(g).containsKeys("org.twiliocrm.webhook", "org.twiliocrm.crm", "org.twiliocrm.app");
    List<String> cycles = new ArrayList<>();
    for (String start : g.keySet()) {
      findCycle(g, start, start, new ArrayList<>(List.of(start)), new TreeSet<>(), cycles);
    }
    assertThat(cycles).as("package cycles").isEmpty();
  }

  private static void findCycle(
      Map<String, Set<String>> g,
      String start,
      String at,
      List<String> path,
      Set<String> seen,
      List<String> cycles) {
    for (String next : g.getOrDefault(at, Set.of())) {
      if (next.equals(start)) {
        cycles.add(String.join(" -> ", path) + " -> " + start);
      } else if (seen.add(next)) {
        path.add(next);
        findCycle(g, start, next, path, seen, cycles);
        path.remove(path.size() - 1);
      }
    }
  }

  @Test
  void onlyTheWiringPointUsesTheSandboxes() throws IOException {
    assertThat(sandboxUsers(graph())).as("production packages that import the sandbox").isEmpty();
  }

  /** Packages other than the wiring point (and the sandboxes themselves) that use a sandbox. */
  private static List<String> sandboxUsers(Map<String, Set<String>> g) {
    List<String> offenders = new ArrayList<>();
    g.forEach(
        (pkg, deps) -> {
          boolean allowed = pkg.equals(WIRING) || pkg.startsWith(SANDBOX);
          if (!allowed && deps.stream().anyMatch(d -> d.startsWith(SANDBOX))) {
            offenders.add(pkg + " -> " + deps);
          }
        });
    return offenders;
  }

  @Test
  void theSandboxRuleSeesAPlantedImport() {
    // The rule itself must be able to fail: an outbound class reaching into the Twilio sandbox.
    Map<String, Set<String>> g =
        Map.of(
            "org.twiliocrm.outbound",
            Set.of("org.twiliocrm.sandbox.twilio"),
            WIRING,
            Set.of("org.twiliocrm.sandbox.twilio"),
            "org.twiliocrm.sandbox.salesforce",
            Set.of("org.twiliocrm.sandbox.twilio"));
    assertThat(sandboxUsers(g)).singleElement().asString().startsWith("org.twiliocrm.outbound");
  }

  @Test
  void theCheckSeesAPlantedCycle() {
    // The detector itself must be able to fail.
    Map<String, Set<String>> g = Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"));
    List<String> cycles = new ArrayList<>();
    findCycle(g, "a", "a", new ArrayList<>(List.of("a")), new TreeSet<>(), cycles);
    assertThat(cycles).containsExactly("a -> b -> c -> a");
  }
}
