package org.twiliocrm.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outbox on packaged jars, to compare two builds of the connector as users run them (not a
 * test). Each jar is started with {@code java -jar} on its own default wiring (every route, the
 * operator gate, metrics, MDC, governance as shipped), in sandbox mode, on a fresh PostgreSQL
 * schema. Only what would measure something other than the outbox is changed, the same way for
 * every jar: the Twilio sandbox's request validation is off (it caps the sandbox near 1,600
 * creates/s), and its message life cycle steps every ten minutes, so the only status callback a
 * message sends during the run is its first ({@code sending}), the same for every build (the
 * webhook path has its own benchmark).
 *
 * <p>Each start sends {@code warm-ups} rounds of N rows (JIT), then {@code measured} rounds; a
 * round inserts N rows at once and waits until every row is SENT. Per round it records the
 * connector process's CPU time (utime + stime from /proc, both sandboxes included) per row and the
 * sends/s. The jars are started in turn, alternating their order each repetition, and the medians
 * are printed per jar; CPU per row is the figure that holds on a busy machine.
 *
 * <p>Run: {@code java -cp target/test-classes:$(cat target/cp.txt)
 * org.twiliocrm.bench.OutboxJarBench ROWS REPETITIONS JAR...} (e.g. {@code 10000 2 /tmp/before.jar
 * target/twilio-crm-connector.jar}). With {@code -Dbench.jfr=DIR} each start is recorded with JFR's
 * profile settings into DIR (read them with {@link JfrTop}); jars that do not start are skipped.
 */
public final class OutboxJarBench {
  private static final String PG_ROOT = "jdbc:postgresql://127.0.0.1:5432/test";
  private static final String SCHEMA = "bench_outbox_jar";
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  public static void main(String[] args) throws Exception {
    int rows = Integer.parseInt(args[0]);
    int repetitions = Integer.parseInt(args[1]);
    List<Path> jars = new ArrayList<>();
    for (int i = 2; i < args.length; i++) {
      jars.add(Path.of(args[i]).toAbsolutePath());
    }
    int warmups = Integer.getInteger("bench.warmups", 4);
    int measured = Integer.getInteger("bench.measured", 3);
    Map<Path, List<double[]>> results = new LinkedHashMap<>();
    Map<Path, Map<String, Long>> groups = new LinkedHashMap<>();
    for (int r = 0; r < repetitions; r++) {
      List<Path> order = new ArrayList<>(jars);
      if (r % 2 == 1) {
        Collections.reverse(order);
      }
      for (Path jar : order) {
        try {
          results
              .computeIfAbsent(jar, k -> new ArrayList<>())
              .addAll(
                  run(
                      jar,
                      rows,
                      warmups,
                      measured,
                      groups.computeIfAbsent(jar, k -> new HashMap<>())));
        } catch (IllegalStateException e) {
          // An old build that cannot start here (a bisect meets a few) should not end the run.
          System.out.println(jar.getFileName() + " skipped: " + e.getMessage());
        }
      }
    }
    System.out.printf(
        "%n%,d rows a round, %d warm-up and %d measured rounds a start:%n",
        rows, warmups, measured);
    for (Map.Entry<Path, List<double[]>> e : results.entrySet()) {
      if (e.getValue().isEmpty()) {
        continue;
      }
      List<Double> cpu = new ArrayList<>();
      List<Double> rate = new ArrayList<>();
      for (double[] x : e.getValue()) {
        cpu.add(x[0]);
        rate.add(x[1]);
      }
      System.out.printf(
          "  %s: median %.0f us CPU per row (all %s), median %.0f sends/s (all %s)%n",
          e.getKey(), median(cpu), list(cpu), median(rate), list(rate));
    }
    printGroups(groups, rows * measured * repetitions);
    System.out.println("load average at end: " + loadAvg());
  }

  /**
   * CPU per row of the measured rounds by thread group (the kernel's thread name, digits dropped),
   * one column per jar: where the builds differ, not only by how much.
   */
  private static void printGroups(Map<Path, Map<String, Long>> groups, long rows) {
    Map<String, Long> total = new HashMap<>();
    groups.values().forEach(g -> g.forEach((k, v) -> total.merge(k, v, Long::sum)));
    List<String> names =
        total.entrySet().stream()
            .filter(e -> e.getValue() > 0)
            .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
            .limit(16)
            .map(Map.Entry::getKey)
            .toList();
    System.out.printf("%nus CPU per measured row by thread group:%n%-18s", "");
    groups.keySet().forEach(j -> System.out.printf(" %14.14s", j.getFileName()));
    System.out.println();
    for (String n : names) {
      System.out.printf("%-18.18s", n);
      for (Map<String, Long> g : groups.values()) {
        System.out.printf(" %14.0f", g.getOrDefault(n, 0L) * 10_000.0 / rows);
      }
      System.out.println();
    }
  }

  /** One start of the jar: warm-up rounds, then measured rounds of {cpu us/row, sends/s}. */
  private static List<double[]> run(
      Path jar, int rows, int warmups, int measured, Map<String, Long> groups) throws Exception {
    try (Connection c = DriverManager.getConnection(PG_ROOT, "postgres", "");
        Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
      s.execute("CREATE SCHEMA " + SCHEMA);
    }
    String jdbc = PG_ROOT + "?currentSchema=" + SCHEMA;
    Path work = Files.createTempDirectory("outbox-jar-bench-");
    int httpPort = freePort();
    List<String> command = new ArrayList<>(List.of("java", "-Xmx512m"));
    String jfrDir = System.getProperty("bench.jfr");
    if (jfrDir != null) {
      // One recording per start, named for the jar, for JfrTop: where two builds' CPU differs.
      command.add(
          "-XX:StartFlightRecording=settings=profile,filename="
              + Path.of(jfrDir, jar.getFileName() + "-" + System.currentTimeMillis() + ".jfr"));
    }
    command.addAll(List.of("-jar", jar.toString()));
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(work.toFile())
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("connector.log").toFile());
    Map<String, String> env = pb.environment();
    env.put("CONNECTOR_HTTP_PORT", String.valueOf(httpPort));
    env.put("SANDBOX_TWILIO_PORT", String.valueOf(freePort()));
    env.put("SANDBOX_SALESFORCE_PORT", String.valueOf(freePort()));
    env.put("CONNECTOR_DB_URL", jdbc);
    env.put("CONNECTOR_DB_USER", "postgres");
    env.put("SANDBOX_TWILIO_VALIDATION_REQUESTS", "false");
    env.put("SANDBOX_TWILIO_LIFECYCLE_STEP_MILLIS", "600000");
    Process p = pb.start();
    List<double[]> out = new ArrayList<>();
    try {
      String ready = "http://127.0.0.1:" + httpPort + "/observe/health/ready";
      long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
      while (status(ready) != 200) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "connector did not become ready; log: " + work.resolve("connector.log"));
        }
        Thread.sleep(100);
      }
      try (Connection c = DriverManager.getConnection(jdbc, "postgres", "")) {
        Map<String, Long> groups0 = Map.of();
        for (int round = 0; round < warmups + measured; round++) {
          if (round == warmups) {
            groups0 = LoopBench.threadTicks(p.pid());
          }
          long cpu0 = ticks(p.pid());
          long t0 = System.nanoTime();
          insert(c, round, rows);
          waitAllSent(c, p);
          double seconds = (System.nanoTime() - t0) / 1e9;
          double cpuUs = (ticks(p.pid()) - cpu0) * 10_000.0 / rows; // 100 ticks a second
          String tag = round < warmups ? "warm-up" : "measured";
          System.out.printf(
              "%s %s round %d: %.0f us CPU per row, %.0f sends/s (load %s)%n",
              jar.getFileName(), tag, round + 1, cpuUs, rows / seconds, loadAvg());
          if (round >= warmups) {
            out.add(new double[] {cpuUs, rows / seconds});
          }
          try (Statement s = c.createStatement()) {
            s.execute("VACUUM ANALYZE outbox_message");
          }
        }
        Map<String, Long> before = groups0;
        LoopBench.threadTicks(p.pid())
            .forEach((k, v) -> groups.merge(k, v - before.getOrDefault(k, 0L), Long::sum));
      }
    } finally {
      p.destroy();
      p.waitFor();
    }
    return out;
  }

  private static void insert(Connection c, int round, int rows) throws Exception {
    c.setAutoCommit(false);
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body)"
                + " VALUES (?, 'sms', ?, '+15005550006', ?)")) {
      for (int i = 0; i < rows; i++) {
        ps.setString(1, "jar-" + round + "-" + i);
        ps.setString(2, "+1415555" + (2000 + i % 8000));
        ps.setString(3, "Outbox jar bench " + round + "-" + i);
        ps.addBatch();
        if (i % 1000 == 999 || i == rows - 1) {
          ps.executeBatch();
          c.commit();
        }
      }
    }
    c.setAutoCommit(true);
  }

  private static void waitAllSent(Connection c, Process p) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (true) {
      try (Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT count(*) FILTER (WHERE status <> 'SENT'),"
                      + " count(*) FILTER (WHERE status NOT IN ('SENT','PENDING','SENDING','RETRY','RECONCILE','HELD'))"
                      + " FROM outbox_message")) {
        rs.next();
        if (rs.getLong(2) > 0) {
          throw new IllegalStateException(rs.getLong(2) + " rows ended neither SENT nor pending");
        }
        if (rs.getLong(1) == 0) {
          return;
        }
      }
      if (!p.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException("rows not all SENT in time");
      }
      Thread.sleep(20);
    }
  }

  private static long ticks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  private static int status(String url) {
    try {
      return HTTP.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  private static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    Collections.sort(s);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  private static String list(List<Double> xs) {
    StringBuilder b = new StringBuilder();
    for (double x : xs) {
      b.append(b.length() == 0 ? "" : ", ").append(Math.round(x));
    }
    return b.toString();
  }

  private static String loadAvg() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "?";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
