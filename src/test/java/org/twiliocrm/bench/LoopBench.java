package org.twiliocrm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * The whole loop as a new user runs it: the packaged jar started like the README's run command
 * (sandbox mode, default configuration, H2 unless told otherwise), N rows inserted at once into
 * {@code outbox_message}, then timed until every message is delivered on the Twilio sandbox, its
 * status is stored in {@code message_state} and its {@code Twilio_Message__c} record says delivered
 * on the Salesforce sandbox. The connector runs in its own process so that its CPU and resident
 * memory are its own; this driver reads them from /proc.
 *
 * <p>Only the ports differ from the README's run (free ones, so the figures do not depend on
 * 8080/8089/8091 being unused), and on PostgreSQL the database URL. {@code PROFILE=dir} records JFR
 * (settings=profile) from ready to the last record, one file per database.
 *
 * <p>On a PostgreSQL server with autovacuum off (this machine's), the bench runs VACUUM ANALYZE on
 * its schema every 10 s ({@code VACUUM_EVERY=seconds}, 0 = never) and prints that it did.
 *
 * <p>Usage: {@code LoopBench JAR [rows=20000] [h2|postgres|both=both]}; KEEP_WORK=1 keeps the run
 * directory (database, connector.log), which a failed run always keeps. The connector runs with the
 * README's java options ({@link #README_JAVA_OPTIONS}) unless CONNECTOR_JAVA_OPTS says otherwise,
 * and logs its collections (-Xlog:gc); at the end one full collection is forced (jcmd GC.run) and
 * the heap after each full collection is printed. GC_EVERY=seconds also forces one that often
 * during the run, to watch the live heap over a long run. H2_PAGES=1 (H2 only) runs the connector
 * with {@link H2PageBytes} and prints what H2's stores wrote per table, index and undo log.
 *
 * <p>SANDBOX=external runs the two emulators in a JVM of their own ({@code java -jar JAR sandbox},
 * the same java options), which the connector reaches through {@code sandbox.twilio.external-url}
 * and {@code sandbox.salesforce.external-url}: the CPU a message costs is then printed per process
 * (connector, sandboxes, and on PostgreSQL the database server's), so what the connector itself
 * spends is not mixed with what the emulators spend playing Twilio and Salesforce. With PROFILE,
 * the sandboxes' JVM is recorded too ({@code loop-<db>-sandboxes.jfr}).
 */
public final class LoopBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private static final String PG_ROOT = "jdbc:postgresql://127.0.0.1:5432/test";
  private static final String PG_SCHEMA = "bench_loop";
  private static final long CLK_TCK = 100; // USER_HZ on Linux, what /proc/<pid>/stat counts in
  private static final Duration TIMEOUT = Duration.ofMinutes(15);

  private LoopBench() {}

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args[0]).toAbsolutePath();
    int rows = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
    String which = args.length > 2 ? args[2] : "both";
    if (!Files.isRegularFile(jar)) {
      throw new IllegalArgumentException("no " + jar + ": run mvn -B -q package -DskipTests first");
    }
    for (String db : which.equals("both") ? List.of("h2", "postgres") : List.of(which)) {
      if (!db.equals("h2") && !db.equals("postgres")) {
        throw new IllegalArgumentException("database must be h2, postgres or both, not " + db);
      }
      System.out.printf("%n--- whole loop on %s: %,d rows inserted at once ---%n", db, rows);
      run(jar, rows, db);
    }
  }

  private static void run(Path jar, int rows, String db) throws Exception {
    Path work = Files.createTempDirectory("loop-bench-");
    int httpPort = freePort();
    int twilioPort = freePort();
    int sfPort = freePort();
    List<String> command = new ArrayList<>(List.of("java"));
    command.addAll(javaOptions());
    // The GC log, for the heap after each collection (printed at the end).
    command.add("-Xlog:gc:file=" + work.resolve("gc.log") + ":uptime");
    // H2_PAGES=1: what H2's stores write, per table, index and undo log (H2PageBytes).
    boolean pages = db.equals("h2") && System.getenv("H2_PAGES") != null;
    if (pages) {
      command.add("-javaagent:" + H2PageBytes.agentJar(work) + "=" + work);
    }
    command.addAll(List.of("-jar", jar.toString()));
    boolean external = "external".equals(System.getenv("SANDBOX"));
    Process sandbox = external ? startSandboxes(jar, work, twilioPort, sfPort) : null;
    System.out.println("connector: " + String.join(" ", command));
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(work.toFile())
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("connector.log").toFile());
    Map<String, String> env = pb.environment();
    env.put("CONNECTOR_HTTP_PORT", String.valueOf(httpPort));
    env.put("SANDBOX_TWILIO_PORT", String.valueOf(twilioPort));
    env.put("SANDBOX_SALESFORCE_PORT", String.valueOf(sfPort));
    if (external) {
      env.put("SANDBOX_TWILIO_EXTERNAL_URL", "http://127.0.0.1:" + twilioPort);
      env.put("SANDBOX_SALESFORCE_EXTERNAL_URL", "http://127.0.0.1:" + sfPort);
    }
    String jdbc;
    String user = "";
    if (db.equals("postgres")) {
      try (Connection c = DriverManager.getConnection(PG_ROOT, "postgres", "");
          Statement s = c.createStatement()) {
        // The bench's own schema, fresh each run, so the figures start from an empty database.
        s.execute("DROP SCHEMA IF EXISTS " + PG_SCHEMA + " CASCADE");
        s.execute("CREATE SCHEMA " + PG_SCHEMA);
      }
      jdbc = PG_ROOT + "?currentSchema=" + PG_SCHEMA;
      user = "postgres";
      env.put("CONNECTOR_DB_URL", jdbc);
      env.put("CONNECTOR_DB_USER", user);
    } else {
      // The default URL, opened from this second process through AUTO_SERVER like the README's
      // H2 shell does.
      jdbc = "jdbc:h2:file:" + work.resolve("data/connector") + ";AUTO_SERVER=TRUE";
    }
    System.out.printf(
        "load average at start: %s   cores: %d%n",
        loadAvg(), Runtime.getRuntime().availableProcessors());
    long launched = System.nanoTime();
    Process p = pb.start();
    long pid = p.pid();
    List<long[]> rss = new CopyOnWriteArrayList<>(); // {seconds since launch, kB}
    Thread sampler =
        new Thread(
            () -> {
              while (p.isAlive()) {
                long kb = rssKb(pid);
                if (kb > 0) {
                  rss.add(new long[] {(System.nanoTime() - launched) / 1_000_000_000L, kb});
                }
                try {
                  Thread.sleep(1000);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "rss-sampler");
    sampler.setDaemon(true);
    sampler.start();
    boolean done = false;
    try {
      String ready = "http://127.0.0.1:" + httpPort + "/observe/health/ready";
      long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
      while (status(ready) != 200) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "connector did not become ready; log: " + work.resolve("connector.log"));
        }
        Thread.sleep(100);
      }
      System.out.printf(
          "ready after %.1f s, resident %d MB%n",
          (System.nanoTime() - launched) / 1e9, rssKb(pid) / 1024);
      String profileDir = System.getenv("PROFILE");
      Path jfr = null;
      if (profileDir != null && !profileDir.isBlank()) {
        jfr = Path.of(profileDir).toAbsolutePath().resolve("loop-" + db + ".jfr");
        Files.createDirectories(jfr.getParent());
        // PROFILE_SETTINGS: another .jfc, e.g. one with jdk.JavaExceptionThrow on.
        String settings = System.getenv().getOrDefault("PROFILE_SETTINGS", "profile");
        jcmd(pid, "JFR.start", "name=loop", "settings=" + settings);
        if (sandbox != null) {
          jcmd(sandbox.pid(), "JFR.start", "name=loop", "settings=" + settings);
        }
      }
      String twilio = "http://127.0.0.1:" + twilioPort;
      String sf = "http://127.0.0.1:" + sfPort;
      String token = sfToken(sf);
      Map<String, Long> before = threadTicks(pid);
      long cpu0 = processTicks(pid);
      long sandbox0 = sandbox == null ? 0 : processTicks(sandbox.pid());
      Map<String, Long> sandboxBefore = sandbox == null ? Map.of() : threadTicks(sandbox.pid());
      long pg0 = db.equals("postgres") ? postgresTicks() : 0;
      long[] store0 = h2Store(jdbc);

      // PRE_SQL: statements (separated by ';') run on the connector's database before the rows
      // go in, for experiments such as what one index costs: DROP INDEX webhook_event_sid_idx.
      String preSql = System.getenv("PRE_SQL");
      if (preSql != null && !preSql.isBlank()) {
        try (Connection c = DriverManager.getConnection(jdbc, user, "");
            Statement s = c.createStatement()) {
          for (String sql : preSql.split(";")) {
            if (!sql.isBlank()) {
              System.out.println("PRE_SQL: " + sql.trim());
              s.execute(sql.trim());
            }
          }
        }
      }

      Map<String, Long> insertedAt = new HashMap<>(rows * 2);
      if (pages) {
        Files.createFile(work.resolve("reset"));
      }
      long t0 = System.currentTimeMillis();
      try (Connection c = DriverManager.getConnection(jdbc, user, "")) {
        c.setAutoCommit(false);
        try (PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body)"
                    + " VALUES (?, 'sms', ?, '+15005550006', ?)")) {
          List<String> batch = new ArrayList<>();
          for (int i = 0; i < rows; i++) {
            String key = "loop-" + i;
            ps.setString(1, key);
            // 8,000 handsets in 415 555-2000..9999, so a handful of rows share a recipient.
            ps.setString(2, "+1415555" + (2000 + i % 8000));
            ps.setString(3, "Loop bench message " + i);
            ps.addBatch();
            batch.add(key);
            if (batch.size() == 500 || i == rows - 1) {
              ps.executeBatch();
              c.commit();
              long now = System.currentTimeMillis();
              for (String k : batch) {
                insertedAt.put(k, now);
              }
              batch.clear();
            }
          }
        }
      }
      long inserted = System.currentTimeMillis();
      System.out.printf("inserted %,d rows in %.1f s%n", rows, (inserted - t0) / 1e3);

      long allSent = 0;
      long allStored = 0;
      long allInCrm = 0;
      long lastProgress = System.currentTimeMillis();
      long lastCount = -1;
      long lastPrint = 0;
      long lastCrmPoll = 0;
      long crm = 0;
      long timeout = t0 + TIMEOUT.toMillis();
      long gcEvery = Long.parseLong(System.getenv().getOrDefault("GC_EVERY", "0")) * 1000;
      // The org keeps at most sandbox.salesforce.max-records records per object (its default, or
      // SANDBOX_SALESFORCE_MAX_RECORDS, which the connector inherits with the rest of this
      // environment): with more rows than that, the loop is done by the database's count.
      String maxRecords =
          System.getenv()
              .getOrDefault(
                  "SANDBOX_SALESFORCE_MAX_RECORDS",
                  String.valueOf(
                      org.twiliocrm.sandbox.salesforce.SalesforceSandboxSettings.MAX_RECORDS
                          .defaultValue()));
      boolean capped = Long.parseLong(maxRecords.trim()) < rows;
      if (capped) {
        System.out.printf(
            "Salesforce sandbox keeps %s records per object: written back = delivered and synced"
                + " in message_state%n",
            maxRecords.trim());
      }
      long lastGc = System.currentTimeMillis();
      long callbacks = 0;
      long applied = 0;
      // This machine's PostgreSQL runs with autovacuum off, which no production server should
      // (the connector warns about it): then the bench does autovacuum's work on its own schema,
      // VACUUM ANALYZE every 10 s (VACUUM_EVERY=seconds, 0 = never), and says so.
      long vacuumEvery = 0;
      long lastVacuum = System.currentTimeMillis();
      long vacuumMs = 0;
      int vacuums = 0;
      if (db.equals("postgres")) {
        try (Connection c = DriverManager.getConnection(jdbc, user, "")) {
          String autovacuum = string(c, "SHOW autovacuum");
          vacuumEvery =
              Long.parseLong(
                      System.getenv()
                          .getOrDefault("VACUUM_EVERY", "on".equals(autovacuum) ? "0" : "10"))
                  * 1000;
          System.out.printf(
              "PostgreSQL autovacuum: %s; the bench runs VACUUM ANALYZE on its schema %s%n",
              autovacuum,
              vacuumEvery > 0 ? "every " + vacuumEvery / 1000 + " s" : "never (VACUUM_EVERY=0)");
        }
      }
      long cpu1;
      Map<String, Long> after;
      long sandbox1 = 0;
      Map<String, Long> sandboxAfter = Map.of();
      long pg1 = 0;
      try (Connection c = DriverManager.getConnection(jdbc, user, "")) {
        while (true) {
          long now = System.currentTimeMillis();
          if (gcEvery > 0 && now - lastGc >= gcEvery) {
            // A full collection on demand: what stays after it is what the connector holds.
            jcmd(pid, "GC.run");
            lastGc = now;
          }
          long sent = count(c, "SELECT COUNT(*) FROM outbox_message WHERE twilio_sid IS NOT NULL");
          long other =
              count(
                  c,
                  "SELECT COUNT(*) FROM outbox_message WHERE status NOT IN ('PENDING', 'SENDING', 'SENT')");
          long stored = count(c, "SELECT COUNT(*) FROM message_state WHERE status = 'delivered'");
          // Where a backlog sits: status callbacks acknowledged (stored) and applied. Only for the
          // line printed every 5 s: these two scan the largest table, and on H2 the connector's
          // own JVM answers them.
          if (now - lastPrint >= 5000) {
            callbacks =
                count(c, "SELECT COUNT(*) FROM webhook_event WHERE kind = 'message-status'");
            applied =
                count(
                    c,
                    "SELECT COUNT(*) FROM webhook_event WHERE kind = 'message-status'"
                        + " AND state <> 'NEW'");
          }
          if (vacuumEvery > 0 && now - lastVacuum >= vacuumEvery) {
            vacuumMs += vacuum(c);
            vacuums++;
            lastVacuum = now;
          }
          // A SOQL count scans every record in the sandbox's JVM, which is the connector's, under
          // the emulated org's lock that the write-back's upserts also take: ask every 2 s while
          // statuses are still arriving, then every 500 ms for the last records.
          if (now - lastCrmPoll >= (stored >= rows ? 500 : 2000)) {
            crm =
                capped
                    // The org keeps only the newest records: the connector's own account of what
                    // it wrote, delivered and written back at that version.
                    ? count(
                        c,
                        "SELECT COUNT(*) FROM message_state WHERE status = 'delivered'"
                            + " AND crm_synced_version >= crm_version")
                    : soqlCount(
                        sf,
                        token,
                        "SELECT COUNT() FROM Twilio_Message__c WHERE Status__c = 'delivered'");
            lastCrmPoll = now;
          }
          if (sent >= rows && allSent == 0) {
            allSent = now;
          }
          if (stored >= rows && allStored == 0) {
            allStored = now;
          }
          if (now - lastPrint >= 5000) {
            System.out.printf(
                "  t=%5.1f s  sent %,7d  callbacks stored %,7d applied %,7d  status delivered %,7d"
                    + "  CRM delivered %,7d  other outbox status %d  RSS %d MB%n",
                (now - t0) / 1e3, sent, callbacks, applied, stored, crm, other, rssKb(pid) / 1024);
            lastPrint = now;
          }
          if (crm >= rows) {
            allInCrm = now;
            if (allStored == 0) {
              // The count of stored statuses ran before the last ones landed; a written-back
              // record is a stored one.
              allStored = now;
            }
            break;
          }
          long progress = sent + stored + crm;
          if (progress != lastCount) {
            lastCount = progress;
            lastProgress = now;
          }
          if (now - lastProgress > 60_000 || now > timeout) {
            System.out.printf(
                "STALLED: sent %d, stored %d, CRM %d of %d; outbox rows not sent: %s; log %s%n",
                sent, stored, crm, rows, notSent(c), work.resolve("connector.log"));
            break;
          }
          // The counts scan tables that grow with the run, and on H2 they are answered by the
          // connector's own JVM (AUTO_SERVER): in a JFR recording of a 3,000-row run polled every
          // 250 ms, H2's TCP server thread had 16 % of the connector's samples. Once a second while
          // statuses arrive, every 250 ms for the last records.
          Thread.sleep(stored >= rows ? 250 : 1000);
        }
        // Read while the polling connection is still open: on H2 its server thread in the
        // connector's JVM (the bench's own counts) then shows as a group of its own instead of
        // being in the total only.
        cpu1 = processTicks(pid);
        after = threadTicks(pid);
        if (sandbox != null) {
          sandbox1 = processTicks(sandbox.pid());
          sandboxAfter = threadTicks(sandbox.pid());
        }
        pg1 = db.equals("postgres") ? postgresTicks() : 0;
      }
      if (vacuums > 0) {
        System.out.printf(
            "bench's VACUUM ANALYZE: %d runs, %.1f s in all (PostgreSQL's CPU: not in the connector's"
                + " figures below, in PostgreSQL's)%n",
            vacuums, vacuumMs / 1e3);
      }
      long[] store1 = h2Store(jdbc);
      // One full collection at the end: the heap it leaves is the connector's (and the
      // sandboxes') live set after the run.
      jcmd(pid, "GC.run");
      if (jfr != null) {
        jcmd(pid, "JFR.stop", "name=loop", "filename=" + jfr);
        System.out.println("JFR recording: " + jfr);
        if (sandbox != null) {
          Path sandboxJfr = jfr.resolveSibling("loop-" + db + "-sandboxes.jfr");
          jcmd(sandbox.pid(), "JFR.stop", "name=loop", "filename=" + sandboxJfr);
          System.out.println("JFR recording of the sandboxes' JVM: " + sandboxJfr);
        }
      }
      System.out.printf("load average at end: %s%n", loadAvg());
      if (allInCrm == 0) {
        return;
      }
      done = true;
      long handsets = handsetsReceived(twilio);
      System.out.printf(
          "Twilio sandbox handsets received %,d messages; Salesforce sandbox has %,d delivered"
              + " records%s%n",
          handsets,
          rows,
          capped ? " written back (it keeps the newest " + maxRecords.trim() + ")" : "");
      // Each record the write-back creates or updates is one change event the org streams back:
      // how many times, on average, a message's record was written.
      JsonNode streamed =
          JSON.readTree(
                  HTTP.send(
                          HttpRequest.newBuilder(URI.create(sf + "/sandbox/streaming")).build(),
                          HttpResponse.BodyHandlers.ofString())
                      .body())
              .path("delivered");
      System.out.printf(
          "change events the Salesforce sandbox streamed: %s (%.2f per message)%n",
          streamed, streamed.path("/data/ChangeEvents").asLong() / (double) rows);
      double sendS = (allSent - t0) / 1e3;
      double loopS = (allInCrm - t0) / 1e3;
      System.out.printf(
          "sends: %,d in %.1f s from the first insert = %.0f/s%n", rows, sendS, rows / sendS);
      System.out.printf("status stored: all %,d after %.1f s%n", rows, (allStored - t0) / 1e3);
      System.out.printf(
          "delivered and written back: %,d in %.1f s = %.0f/s%n", rows, loopS, rows / loopS);
      latencies(jdbc, user, sf, insertedAt);
      double cpuS = (cpu1 - cpu0) / (double) CLK_TCK;
      System.out.printf(
          "connector process CPU: %.1f s = %.0f us per message (ready to last record; %s)%n",
          cpuS,
          cpuS / rows * 1e6,
          sandbox == null
              ? "includes both sandboxes, which run in the same JVM"
              : "the sandboxes run in a JVM of their own, below");
      printThreadGroups(before, after, rows);
      budget(rows, loopS, cpuS, sandbox, sandbox1 - sandbox0, db, pg1 - pg0);
      if (sandbox != null) {
        printThreadGroups(sandboxBefore, sandboxAfter, rows);
      }
      if (store0 != null && store1 != null) {
        // Each store writes every page changed since the previous one (WRITE_DELAY=0: one per
        // commit), so stores and bytes per message say how much the commits cost on H2.
        System.out.printf(
            "H2 stores: %,d = %.2f per message, %,.0f kB written per message, %,d pages read"
                + " (cache misses) = %.1f per message%n",
            store1[0] - store0[0],
            (store1[0] - store0[0]) / (double) rows,
            (store1[1] - store0[1]) / 1024.0 / rows,
            store1[2] - store0[2],
            (store1[2] - store0[2]) / (double) rows);
      }
      if (pages) {
        printPages(work, jdbc, rows);
      }
      long rssMax = printRss(rss);
      long heapMax = printHeap(work.resolve("gc.log"));
      targets(rows, loopS, rssMax, heapMax).forEach(System.out::println);
    } finally {
      for (Process proc : sandbox == null ? List.of(p) : List.of(p, sandbox)) {
        proc.destroy();
        if (!proc.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
          proc.destroyForcibly();
          proc.waitFor();
        }
      }
      sampler.interrupt();
      // The H2 database of a finished run is a few hundred MB; a failed run keeps it and its log.
      if (done && System.getenv("KEEP_WORK") == null) {
        try (Stream<Path> files = Files.walk(work)) {
          for (Path f : files.sorted(Collections.reverseOrder()).toList()) {
            Files.deleteIfExists(f);
          }
        }
      }
    }
  }

  /**
   * H2_PAGES: the agent's counts since the rows went in, per table, index, undo log and H2's own
   * layout map, largest first, with the names H2's maps stand for (DB_OBJECT_ID).
   */
  private static void printPages(Path work, String jdbc, int rows) throws Exception {
    Files.createFile(work.resolve("dump"));
    Path file = work.resolve("h2-pages.txt");
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (Files.exists(work.resolve("dump")) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    if (!Files.exists(file)) {
      System.out.println("H2_PAGES: the agent wrote nothing; see " + work.resolve("connector.log"));
      return;
    }
    Map<String, String> names = new HashMap<>();
    try (Connection c = DriverManager.getConnection(jdbc, "", "");
        Statement s = c.createStatement()) {
      try (ResultSet r =
          s.executeQuery(
              "SELECT TABLE_NAME, DB_OBJECT_ID('TABLE', TABLE_SCHEMA, TABLE_NAME) FROM"
                  + " INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'PUBLIC'")) {
        while (r.next()) {
          names.put("table." + r.getInt(2), r.getString(1).toLowerCase(Locale.ROOT) + " (rows)");
        }
      }
      try (ResultSet r =
          s.executeQuery(
              "SELECT INDEX_NAME, DB_OBJECT_ID('INDEX', INDEX_SCHEMA, INDEX_NAME), TABLE_NAME"
                  + " FROM INFORMATION_SCHEMA.INDEXES WHERE INDEX_SCHEMA = 'PUBLIC'")) {
        while (r.next()) {
          names.put(
              "index." + r.getInt(2),
              (r.getString(3) + " index " + r.getString(1)).toLowerCase(Locale.ROOT));
        }
      }
    }
    // name -> {page writes, keys, bytes}, undo logs of all transactions together.
    Map<String, long[]> by = new HashMap<>();
    long total = 0;
    for (String line : Files.readAllLines(file)) {
      String[] f = line.split(" ");
      String name = f[0];
      if (name.startsWith("undoLog")) {
        name = "undo logs of open transactions";
      } else if (name.equals("(layout)")) {
        name = "H2's layout map (chunks, map roots)";
      } else {
        name = names.getOrDefault(name, name);
      }
      long[] v = by.computeIfAbsent(name, k -> new long[3]);
      for (int i = 0; i < 3; i++) {
        v[i] += Long.parseLong(f[i + 1]);
      }
      total += Long.parseLong(f[3]);
    }
    System.out.printf(
        "H2 page writes by map (H2_PAGES; %,.1f kB serialised per message in all):%n",
        total / 1024.0 / rows);
    long all = total;
    by.entrySet().stream()
        .sorted((a, b) -> Long.compare(b.getValue()[2], a.getValue()[2]))
        .limit(16)
        .forEach(
            e ->
                System.out.printf(
                    "  %6.2f kB/msg %5.1f %%  %5.2f pages/msg  %s%n",
                    e.getValue()[2] / 1024.0 / rows,
                    100.0 * e.getValue()[2] / all,
                    e.getValue()[0] / (double) rows,
                    e.getKey()));
  }

  /** Insert (commit) to the CRM record's last modification, which is its delivered status. */
  private static void latencies(String jdbc, String user, String sf, Map<String, Long> insertedAt)
      throws Exception {
    Map<String, String> keyBySid = new HashMap<>();
    try (Connection c = DriverManager.getConnection(jdbc, user, "");
        Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT idempotency_key, twilio_sid FROM outbox_message WHERE twilio_sid IS NOT NULL")) {
      while (r.next()) {
        keyBySid.put(r.getString(2), r.getString(1));
      }
    }
    JsonNode records = getJson(sf + "/sandbox/records?object=Twilio_Message__c");
    DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ", Locale.ROOT);
    List<Long> ms = new ArrayList<>();
    for (JsonNode rec : records) {
      String key = keyBySid.get(rec.path("Message_Sid__c").asText());
      Long at = key == null ? null : insertedAt.get(key);
      if (at != null && "delivered".equals(rec.path("Status__c").asText())) {
        long modified =
            OffsetDateTime.parse(rec.path("LastModifiedDate").asText(), f)
                .toInstant()
                .toEpochMilli();
        ms.add(modified - at);
      }
    }
    Collections.sort(ms);
    if (ms.isEmpty()) {
      System.out.println("insert -> CRM record: no records matched");
      return;
    }
    System.out.printf(
        "insert -> CRM record delivered (%,d records): p50 %.1f s  p99 %.1f s  max %.1f s%n",
        ms.size(),
        ms.get(ms.size() / 2) / 1e3,
        ms.get(Math.min(ms.size() - 1, (int) Math.ceil(ms.size() * 0.99) - 1)) / 1e3,
        ms.get(ms.size() - 1) / 1e3);
  }

  /**
   * SANDBOX=external: both emulators in a JVM of their own, started like the connector (the same
   * java options), answering before the connector starts.
   */
  private static Process startSandboxes(Path jar, Path work, int twilioPort, int sfPort)
      throws Exception {
    List<String> command = new ArrayList<>(List.of("java"));
    command.addAll(javaOptions());
    command.addAll(
        List.of(
            "-jar",
            jar.toString(),
            "sandbox",
            "--twilio-port",
            String.valueOf(twilioPort),
            "--salesforce-port",
            String.valueOf(sfPort)));
    System.out.println("sandboxes: " + String.join(" ", command));
    Process s =
        new ProcessBuilder(command)
            .directory(work.toFile())
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("sandboxes.log").toFile())
            .start();
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (status("http://127.0.0.1:" + twilioPort + "/sandbox/messages") != 200
        || status("http://127.0.0.1:" + sfPort + "/sandbox/streaming") != 200) {
      if (!s.isAlive() || System.nanoTime() > deadline) {
        s.destroyForcibly();
        throw new IllegalStateException(
            "the sandboxes did not answer; log: " + work.resolve("sandboxes.log"));
      }
      Thread.sleep(100);
    }
    return s;
  }

  /**
   * CPU per message per process, against what 1,000 messages a second would allow on this machine's
   * cores. PostgreSQL's figure is every postgres process's, the bench's own polls included.
   */
  private static void budget(
      int rows,
      double loopS,
      double connectorS,
      Process sandbox,
      long sandboxTicks,
      String db,
      long pgTicks) {
    double connector = connectorS / rows * 1e6;
    double sandboxes = sandboxTicks / (double) CLK_TCK / rows * 1e6;
    double pg = pgTicks / (double) CLK_TCK / rows * 1e6;
    int cores = Runtime.getRuntime().availableProcessors();
    StringBuilder line = new StringBuilder("CPU per message by process: connector ");
    line.append(String.format("%.0f us", connector));
    if (sandbox != null) {
      line.append(String.format(" + sandboxes %.0f us", sandboxes));
    } else {
      line.append(" (sandboxes included)");
    }
    if (db.equals("postgres")) {
      line.append(
          String.format(" + PostgreSQL %.0f us (the bench's polls and VACUUM included)", pg));
    }
    double total = connector + (sandbox != null ? sandboxes : 0) + pg;
    line.append(
        String.format(
            " = %.0f us; 1,000 messages/s on %d cores allows %d us; all %d cores busy for the"
                + " loop's %.1f s would be %.0f us",
            total, cores, cores * 1000, cores, loopS, cores * loopS / rows * 1e6));
    System.out.println(line);
    if (sandbox != null) {
      System.out.printf("sandboxes' JVM: resident %d MB at the end%n", rssKb(sandbox.pid()) / 1024);
    }
  }

  /** utime + stime of every process named postgres on this machine, in clock ticks. */
  private static long postgresTicks() throws IOException {
    long sum = 0;
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path d : procs.toList()) {
        if (!d.getFileName().toString().chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          if (Files.readString(d.resolve("comm")).trim().equals("postgres")) {
            sum += ticks(Files.readString(d.resolve("stat")));
          }
        } catch (IOException e) {
          // The process ended between the listing and the read.
        }
      }
    }
    return sum;
  }

  private static void printThreadGroups(
      Map<String, Long> before, Map<String, Long> after, int rows) {
    Map<String, Long> diff = new TreeMap<>();
    after.forEach((k, v) -> diff.merge(k, v - before.getOrDefault(k, 0L), Long::sum));
    System.out.println(
        "CPU per message by thread group (ticks of /proc/<pid>/task/*/stat, digits dropped):");
    diff.entrySet().stream()
        .filter(e -> e.getValue() > 0)
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(14)
        .forEach(
            e ->
                System.out.printf(
                    "  %-18s %6.1f s  %5.0f us/msg%n",
                    e.getKey(),
                    e.getValue() / (double) CLK_TCK,
                    e.getValue() / (double) CLK_TCK / rows * 1e6));
  }

  /**
   * The connector's java options: those of the README's run command, or CONNECTOR_JAVA_OPTS
   * (space-separated; empty = none, the JVM's defaults).
   */
  static List<String> javaOptions() {
    String opts = System.getenv("CONNECTOR_JAVA_OPTS");
    if (opts == null) {
      return README_JAVA_OPTIONS;
    }
    return opts.isBlank() ? List.of() : List.of(opts.trim().split("\\s+"));
  }

  /**
   * H2's store counters (version = stores so far, bytes written, pages read from the file), or null
   * on PostgreSQL.
   */
  private static long[] h2Store(String jdbc) {
    if (!jdbc.startsWith("jdbc:h2:")) {
      return null;
    }
    long[] v = new long[3];
    try (Connection c = DriverManager.getConnection(jdbc, "", "");
        Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT SETTING_NAME, SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE"
                    + " SETTING_NAME IN ('info.CURRENT_VERSION', 'info.FILE_WRITE_BYTES',"
                    + " 'info.FILE_READ')")) {
      while (r.next()) {
        int i =
            switch (r.getString(1)) {
              case "info.CURRENT_VERSION" -> 0;
              case "info.FILE_WRITE_BYTES" -> 1;
              default -> 2;
            };
        v[i] = Long.parseLong(r.getString(2).trim());
      }
      return v;
    } catch (SQLException e) {
      System.out.println("H2 store counters not read: " + e.getMessage());
      return null;
    }
  }

  /**
   * The java options of the README's run command (LoopBenchReadmeTest keeps the two the same): a
   * 320 MB heap, the serial collector and the C1 compiler only, the settings measured as fastest
   * and smallest for a sandbox run on this machine (docs/performance.md, seventh round).
   */
  static final List<String> README_JAVA_OPTIONS =
      List.of("-Xmx320m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  private static final java.util.regex.Pattern GC_LINE =
      java.util.regex.Pattern.compile(
          "\\[([0-9.]+)s\\].*GC\\(\\d+\\) Pause (Young|Full|Remark|Cleanup).*? "
              + "(\\d+)M->(\\d+)M\\((\\d+)M\\)");

  /**
   * The run against issue #20's targets: 1,000 messages a second delivered and written back (so the
   * README check's 20,000 in 20 s), under 600 MB resident, and the heap after each full collection
   * under 300 MB. Each line gives the figure, the target, the ratio and whether it is met.
   */
  static List<String> targets(int rows, double loopSeconds, long rssMaxMb, long heapMaxMb) {
    List<String> out = new ArrayList<>();
    out.add("against issue #20's targets:");
    double rate = rows / loopSeconds;
    out.add(
        String.format(
            "  delivered and written back: %,.0f/s of 1,000/s (ratio %.2f): %s",
            rate, rate / 1000, rate >= 1000 ? "met" : "NOT met"));
    double allowed = rows / 1000.0;
    out.add(
        String.format(
            "  README check: %,d rows in CRM after %.1f s of %.0f s (ratio %.2f): %s",
            rows,
            loopSeconds,
            allowed,
            loopSeconds / allowed,
            loopSeconds <= allowed ? "met" : "NOT met"));
    out.add(
        String.format(
            "  resident memory max %d MB of 600 MB (ratio %.2f): %s",
            rssMaxMb, rssMaxMb / 600.0, rssMaxMb < 600 ? "met" : "NOT met"));
    if (heapMaxMb >= 0) {
      out.add(
          String.format(
              "  heap after full collections max %d MB of 300 MB (ratio %.2f): %s",
              heapMaxMb, heapMaxMb / 300.0, heapMaxMb < 300 ? "met" : "NOT met"));
    }
    return out;
  }

  /**
   * Heap after each collection, from the -Xlog:gc file: full collections one by one. Returns the
   * largest heap after a full collection in MB, -1 without a log.
   */
  private static long printHeap(Path gcLog) throws IOException {
    if (!Files.isRegularFile(gcLog)) {
      return -1;
    }
    int young = 0;
    long youngMaxAfter = 0;
    long committedMax = 0;
    List<String> full = new ArrayList<>();
    long fullMaxAfter = 0;
    for (String line : Files.readAllLines(gcLog)) {
      java.util.regex.Matcher m = GC_LINE.matcher(line);
      if (!m.find()) {
        continue;
      }
      long after = Long.parseLong(m.group(4));
      committedMax = Math.max(committedMax, Long.parseLong(m.group(5)));
      if (m.group(2).equals("Full")) {
        full.add(String.format("%.0fs=%d", Double.parseDouble(m.group(1)), after));
        fullMaxAfter = Math.max(fullMaxAfter, after);
      } else if (m.group(2).equals("Young")) {
        young++;
        youngMaxAfter = Math.max(youngMaxAfter, after);
      }
    }
    System.out.printf(
        "heap after each full collection (MB, s since launch; the last one forced at the end): %s%n",
        String.join(" ", full));
    System.out.printf(
        "heap after full collections max %d MB; %d young collections, heap after them max %d MB;"
            + " heap committed max %d MB%n",
        fullMaxAfter, young, youngMaxAfter, committedMax);
    return fullMaxAfter;
  }

  /** Resident memory over the run; returns its maximum in MB. */
  private static long printRss(List<long[]> rss) {
    StringBuilder b = new StringBuilder("resident memory (VmRSS, MB) every 5 s from launch:");
    long max = 0;
    for (long[] s : rss) {
      max = Math.max(max, s[1]);
      if (s[0] % 5 == 0) {
        b.append(' ').append(s[0]).append("s=").append(s[1] / 1024);
      }
    }
    System.out.println(b);
    System.out.printf("resident memory max %d MB%n", max / 1024);
    return max / 1024;
  }

  private static String notSent(Connection c) throws Exception {
    StringBuilder b = new StringBuilder();
    try (Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT status, COUNT(*) FROM outbox_message WHERE twilio_sid IS NULL GROUP BY status")) {
      while (r.next()) {
        b.append(r.getString(1)).append('=').append(r.getLong(2)).append(' ');
      }
    }
    return b.toString().trim();
  }

  private static String string(Connection c, String sql) throws Exception {
    try (Statement s = c.createStatement();
        ResultSet r = s.executeQuery(sql)) {
      return r.next() ? r.getString(1) : null;
    }
  }

  /** VACUUM ANALYZE of the tables the loop churns, in the bench's schema; returns the ms taken. */
  private static long vacuum(Connection c) throws Exception {
    long t = System.nanoTime();
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(true); // VACUUM cannot run in a transaction
    try (Statement s = c.createStatement()) {
      for (String table :
          List.of(
              "outbox_message",
              "message_state",
              "webhook_event",
              "outbox_attempt",
              "connector_state",
              "send_pace")) {
        s.execute("VACUUM ANALYZE " + PG_SCHEMA + "." + table);
      }
    } finally {
      c.setAutoCommit(auto);
    }
    return (System.nanoTime() - t) / 1_000_000;
  }

  private static long count(Connection c, String sql) throws Exception {
    try (Statement s = c.createStatement();
        ResultSet r = s.executeQuery(sql)) {
      r.next();
      return r.getLong(1);
    }
  }

  private static String sfToken(String sf) throws Exception {
    String form =
        "grant_type=client_credentials&client_id=sandbox-client-id&client_secret=sandbox-client-secret";
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(sf + "/services/oauth2/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException(
          "Salesforce sandbox token: " + r.statusCode() + " " + r.body());
    }
    return JSON.readTree(r.body()).path("access_token").asText();
  }

  private static long soqlCount(String sf, String token, String soql) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(
                        sf
                            + "/services/data/v59.0/query?q="
                            + URLEncoder.encode(soql, StandardCharsets.UTF_8)))
                .header("Authorization", "Bearer " + token)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("SOQL count: " + r.statusCode() + " " + r.body());
    }
    return JSON.readTree(r.body()).path("totalSize").asLong();
  }

  private static long handsetsReceived(String twilio) throws Exception {
    long sum = 0;
    for (JsonNode h : getJson(twilio + "/sandbox/handsets")) {
      sum += h.path("received").asLong();
    }
    return sum;
  }

  private static JsonNode getJson(String url) throws Exception {
    HttpResponse<byte[]> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new IllegalStateException(url + ": " + r.statusCode());
    }
    return JSON.readTree(r.body());
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

  private static void jcmd(long pid, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("jcmd", String.valueOf(pid)));
    cmd.addAll(List.of(args));
    Process j = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(j.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (j.waitFor() != 0) {
      throw new IllegalStateException("jcmd " + String.join(" ", args) + ": " + out);
    }
  }

  private static long rssKb(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      // The process has exited.
    }
    return 0;
  }

  /** utime + stime of the whole process, in clock ticks. */
  private static long processTicks(long pid) throws IOException {
    return ticks(Files.readString(Path.of("/proc/" + pid + "/stat")));
  }

  /** CPU ticks by thread group: the kernel's thread name (15 characters) with digits dropped. */
  static Map<String, Long> threadTicks(long pid) throws IOException {
    Map<String, Long> out = new HashMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path t : tasks.toList()) {
        try {
          String name = Files.readString(t.resolve("comm")).trim().replaceAll("[0-9]", "");
          out.merge(name, ticks(Files.readString(t.resolve("stat"))), Long::sum);
        } catch (IOException e) {
          // The thread ended between the listing and the read.
        }
      }
    }
    return out;
  }

  private static long ticks(String stat) {
    // Fields after the command name, which is in parentheses and may contain spaces.
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
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
