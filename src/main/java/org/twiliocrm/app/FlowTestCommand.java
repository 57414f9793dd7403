package org.twiliocrm.app;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code java -jar twilio-crm-connector.jar test [--report DIR] [FILE|DIR...]}: runs flow tests
 * (default: tests/ and examples/*&#47;tests/ of the working directory), prints one line per test
 * and a diff per failure, writes JUnit XML reports, and exits 0 only when all pass.
 */
public final class FlowTestCommand {
  private FlowTestCommand() {}

  public static int run(String[] args, PrintStream out, PrintStream err) {
    Path report = Path.of("target", "flow-tests");
    List<Path> targets = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--report")) {
        if (++i >= args.length) {
          err.println("test: --report needs a directory");
          return 2;
        }
        report = Path.of(args[i]);
      } else {
        targets.add(Path.of(args[i]));
      }
    }
    List<Path> files;
    try {
      files = discover(Path.of("."), targets);
    } catch (IOException e) {
      err.println("test: " + e.getMessage());
      return 2;
    }
    if (files.isEmpty()) {
      err.println("test: no *.flow.yaml files found (looked in tests/ and examples/*/tests/)");
      return 2;
    }
    FlowTestRunner runner = new FlowTestRunner(Path.of("."), Map.of());
    Map<Path, List<FlowTestRunner.Result>> all = new LinkedHashMap<>();
    int failed = 0;
    int total = 0;
    for (Path f : files) {
      out.println("Running " + f);
      List<FlowTestRunner.Result> results = runner.run(f);
      all.put(f, results);
      for (FlowTestRunner.Result r : results) {
        total++;
        out.printf("  %s %s (%.1f s)%n", r.passed() ? "PASS" : "FAIL", r.test(), r.seconds());
        if (!r.passed()) {
          failed++;
          r.failure().lines().forEach(l -> out.println("      " + l));
        }
      }
    }
    try {
      JUnitXml.write(report, all);
    } catch (IOException e) {
      err.println("test: cannot write the JUnit report to " + report + ": " + e.getMessage());
    }
    out.printf("Tests run: %d, Failures: %d (JUnit XML in %s)%n", total, failed, report);
    return failed == 0 ? 0 : 1;
  }

  /** The given files and the *.flow.yaml files under the given directories; defaults if none. */
  public static List<Path> discover(Path root, List<Path> targets) throws IOException {
    List<Path> dirs = new ArrayList<>();
    List<Path> files = new ArrayList<>();
    if (targets.isEmpty()) {
      dirs.add(root.resolve("tests"));
      Path examples = root.resolve("examples");
      if (Files.isDirectory(examples)) {
        try (Stream<Path> s = Files.list(examples)) {
          s.sorted().forEach(d -> dirs.add(d.resolve("tests")));
        }
      }
    } else {
      for (Path t : targets) {
        if (Files.isDirectory(t)) {
          dirs.add(t);
        } else if (Files.isRegularFile(t)) {
          files.add(t);
        } else {
          throw new IOException("no such file or directory: " + t);
        }
      }
    }
    for (Path d : dirs) {
      if (Files.isDirectory(d)) {
        try (Stream<Path> s = Files.walk(d)) {
          s.filter(p -> p.getFileName().toString().endsWith(".flow.yaml"))
              .sorted()
              .forEach(files::add);
        }
      }
    }
    return files;
  }

  /** Surefire's XML shape, which CI systems (Jenkins, GitLab, GitHub actions) read. */
  static final class JUnitXml {
    static void write(Path dir, Map<Path, List<FlowTestRunner.Result>> all) throws IOException {
      Files.createDirectories(dir);
      for (Map.Entry<Path, List<FlowTestRunner.Result>> e : all.entrySet()) {
        List<FlowTestRunner.Result> rs = e.getValue();
        String suite = rs.isEmpty() ? e.getKey().toString() : rs.get(0).suite();
        long failures = rs.stream().filter(r -> !r.passed()).count();
        double time = rs.stream().mapToDouble(FlowTestRunner.Result::seconds).sum();
        StringBuilder x = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        x.append(
            String.format(
                java.util.Locale.ROOT,
                "<testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"0\" time=\"%.3f\">%n",
                esc(suite),
                rs.size(),
                failures,
                time));
        for (FlowTestRunner.Result r : rs) {
          x.append(
              String.format(
                  java.util.Locale.ROOT,
                  "  <testcase classname=\"%s\" name=\"%s\" time=\"%.3f\"",
                  esc(e.getKey().toString()),
                  esc(r.test()),
                  r.seconds()));
          if (r.passed()) {
            x.append("/>\n");
          } else {
            String first = r.failure().lines().findFirst().orElse("failed");
            x.append(">\n    <failure message=\"")
                .append(esc(first))
                .append("\">")
                .append(esc(r.failure()))
                .append("</failure>\n  </testcase>\n");
          }
        }
        x.append("</testsuite>\n");
        String name = e.getKey().normalize().toString().replaceAll("[^A-Za-z0-9._-]", "_");
        Files.writeString(dir.resolve("TEST-" + name + ".xml"), x, StandardCharsets.UTF_8);
      }
    }

    static String esc(String s) {
      return s.replace("&", "&amp;")
          .replace("<", "&lt;")
          .replace(">", "&gt;")
          .replace("\"", "&quot;");
    }
  }
}
