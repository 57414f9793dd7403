package org.twiliocrm.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.db.Database;

/**
 * Does an H2 file lose commits that returned when the process holding it is killed? Kills a child
 * that writes the connector's own schema the way the connector does (outbox rows inserted in
 * batches, claimed and recorded; webhook events stored, marked done and purged) with SIGKILL at a
 * random moment, reopens the file and checks every batch whose commit had returned before the kill.
 *
 * <p>Written for an H2 crash test that once (CI, 5 December 2026) found 4 of 4,000 rows absent
 * after a SIGKILL, rows committed long before it. Not part of the test suite: {@code bash bench/run
 * h2-kill [CYCLES=40]}. Exits 1 if any cycle lost a row.
 *
 * <p>The child prints {@code ACK n} after the commit of insert batch {@code n} returned, and {@code
 * SENT a b} after the commit that marked ids a..b SENT returned; the parent counts only those.
 * {@code EARLY_ACK=1} makes the child acknowledge each batch 300 ms before committing it, a faulty
 * writer, so the check can be seen to catch a loss. {@code KILL_MIN_MS} and {@code KILL_MAX_MS}
 * bound the kill's moment. {@code RETENTION_MS=0} lets H2 rewrite chunks and reuse their space at
 * once (not what the connector runs: H2 keeps 45 s), so the compaction runs before an early kill.
 */
public final class H2KillTorture {
  private static final int BATCH = 400;

  private H2KillTorture() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("child")) {
      child(args[1]);
      return;
    }
    int cycles = args.length > 0 ? Integer.parseInt(args[0]) : 40;
    // The kill comes at a random moment up to this long after the third batch.
    long killMaxMillis = Long.parseLong(System.getenv().getOrDefault("KILL_MAX_MS", "12000"));
    // KILL_MIN_MS=50000 (with KILL_MAX_MS above it): kills after H2's 45 s retention time, once
    // chunks are old enough for the connector's compaction to rewrite them.
    long killMinMillis = Long.parseLong(System.getenv().getOrDefault("KILL_MIN_MS", "300"));
    Path root = Files.createTempDirectory("h2-kill-");
    String cp = System.getProperty("java.class.path");
    int failed = 0;
    int repaired = 0;
    long acked = 0;
    long recorded = 0;
    for (int cycle = 1; cycle <= cycles; cycle++) {
      Path dir = root.resolve("c" + cycle);
      Files.createDirectories(dir);
      String url = "jdbc:h2:file:" + dir.resolve("connector") + ";AUTO_SERVER=TRUE";
      Process p =
          new ProcessBuilder(
                  "java", "-Xmx256m", "-cp", cp, H2KillTorture.class.getName(), "child", url)
              .redirectError(dir.resolve("child.err").toFile())
              .start();
      Set<Integer> batches = ConcurrentHashMap.newKeySet();
      List<long[]> sent = java.util.Collections.synchronizedList(new ArrayList<>());
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = r.readLine()) != null) {
                    String[] f = line.split(" ");
                    if (f[0].equals("ACK")) {
                      batches.add(Integer.parseInt(f[1]));
                    } else if (f[0].equals("SENT")) {
                      sent.add(new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
                    }
                  }
                } catch (java.io.IOException e) {
                  // the child died: what was read is what counts
                }
              });
      reader.start();
      // Wait for the schema and the first batches, then kill at a random moment.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (batches.size() < 3 && System.nanoTime() < deadline && p.isAlive()) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
      LockSupport.parkNanos(
          TimeUnit.MILLISECONDS.toNanos(
              ThreadLocalRandom.current().nextLong(killMinMillis, killMaxMillis)));
      p.destroyForcibly();
      p.waitFor();
      reader.join();
      Set<Integer> ackedNow = Set.copyOf(batches);
      List<long[]> sentNow;
      synchronized (sent) {
        sentNow = List.copyOf(sent);
      }
      // First as H2 left the file (a plain connection: the connector's own start would repair
      // the indexes before anything could look), then through the connector's start.
      String verdict;
      org.h2.jdbcx.JdbcDataSource raw = new org.h2.jdbcx.JdbcDataSource();
      raw.setURL(url);
      try {
        verdict = check(raw, ackedNow, sentNow);
      } catch (SQLException | RuntimeException e) {
        verdict = "cannot open: " + e;
      }
      if (!verdict.isEmpty()) {
        try (Database db =
            Database.open(new ConnectorConfig.Db(url, "", "", 2, Duration.ofSeconds(10)))) {
          String after = check(db.dataSource(), ackedNow, sentNow);
          verdict +=
              after.isEmpty()
                  ? " | after the connector's start: nothing"
                  : " | after the connector's start:" + after;
          if (after.isEmpty()) {
            repaired++;
          }
        } catch (RuntimeException e) {
          verdict += " | the connector's start failed: " + e.getMessage();
        }
      }
      acked += ackedNow.size();
      recorded += sentNow.size();
      boolean ok = verdict.isEmpty();
      if (!ok) {
        failed++;
      }
      System.out.printf(
          "cycle %d: %d batches of %d acknowledged, %d SENT commits: %s%n",
          cycle, ackedNow.size(), BATCH, sentNow.size(), ok ? "no damage" : verdict);
      if (ok) {
        deleteTree(dir);
      } else {
        System.out.println("  kept " + dir);
      }
    }
    System.out.printf(
        "%d cycles, %d acknowledged insert batches, %d acknowledged SENT commits: %d cycle(s)"
            + " found damage, %d of them nothing left after the connector's start%n",
        cycles, acked, recorded, failed, repaired);
    System.exit(failed == 0 ? 0 : 1);
  }

  private static String check(DataSource ds, Set<Integer> batches, List<long[]> sent)
      throws SQLException {
    StringBuilder problems = new StringBuilder();
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      Map<Integer, Integer> perBatch = new TreeMap<>();
      Map<Long, String> status = new java.util.HashMap<>();
      try (ResultSet rs =
          st.executeQuery("SELECT id, idempotency_key, status FROM outbox_message")) {
        while (rs.next()) {
          String key = rs.getString(2);
          int batch = Integer.parseInt(key.substring(1, key.indexOf('-')));
          perBatch.merge(batch, 1, Integer::sum);
          status.put(rs.getLong(1), rs.getString(3));
        }
      }
      for (int b : batches) {
        int n = perBatch.getOrDefault(b, 0);
        if (n != BATCH) {
          problems.append(" batch ").append(b).append(" has ").append(n).append(" rows;");
        }
      }
      int notSent = 0;
      for (long[] range : sent) {
        for (long id = range[0]; id <= range[1]; id++) {
          if (!"SENT".equals(status.get(id))) {
            notSent++;
          }
        }
      }
      if (notSent > 0) {
        problems.append(" ").append(notSent).append(" rows recorded SENT are not;");
      }
      // Each claim is one transaction: its marker row and all of its rows, or none of them.
      Map<String, Integer> claimed = new java.util.HashMap<>();
      try (ResultSet rs = st.executeQuery("SELECT token, n FROM h2kill_claim")) {
        while (rs.next()) {
          claimed.put(rs.getString(1), rs.getInt(2));
        }
      }
      Map<String, Integer> owned = new java.util.HashMap<>();
      try (ResultSet rs =
          st.executeQuery(
              "SELECT lease_owner, COUNT(*) FROM outbox_message WHERE lease_owner IS NOT NULL"
                  + " GROUP BY lease_owner")) {
        while (rs.next()) {
          owned.put(rs.getString(1), rs.getInt(2));
        }
      }
      int torn = 0;
      Set<String> tokens = new java.util.HashSet<>(claimed.keySet());
      tokens.addAll(owned.keySet());
      for (String t : tokens) {
        if (!java.util.Objects.equals(claimed.get(t), owned.get(t))) {
          torn++;
          if (torn <= 3) {
            problems
                .append(" claim ")
                .append(t)
                .append(" marker says ")
                .append(claimed.get(t))
                .append(" rows, table has ")
                .append(owned.get(t))
                .append(';');
          }
        }
      }
      if (torn > 3) {
        problems.append(" ").append(torn).append(" torn claims in all;");
      }
      // The same table through its secondary index on status: a row the scan sees and the index
      // does not (or the other way) is a broken index, not a lost row.
      try (ResultSet rs =
          st.executeQuery(
              "SELECT COUNT(*) FROM outbox_message WHERE status IN ('PENDING', 'SENDING', 'SENT')")) {
        rs.next();
        if (rs.getLong(1) != status.size()) {
          problems
              .append(" status index counts ")
              .append(rs.getLong(1))
              .append(" rows, the table ")
              .append(status.size())
              .append(';');
        }
      }
    }
    return problems.toString();
  }

  // ------------------------------------------------------------------ child

  private static void child(String url) throws Exception {
    Database db = Database.open(new ConnectorConfig.Db(url, "", "", 10, Duration.ofSeconds(10)));
    DataSource ds = db.dataSource();
    // The harness's own check: the child acknowledges each batch before committing it, as a
    // faulty writer would, so a kill must show up as lost rows.
    boolean earlyAck = System.getenv("EARLY_ACK") != null;
    AtomicLong webhookSeq = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    threads.add(daemon("inserter", () -> insertLoop(ds, earlyAck)));
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      // One row per claim, in the claim's own transaction: after the kill, a claim either has
      // this row and all of its rows, or neither.
      st.execute(
          "CREATE TABLE IF NOT EXISTS h2kill_claim (token VARCHAR(64) PRIMARY KEY, n INT NOT"
              + " NULL)");
      // RETENTION_MS=0: H2 may rewrite a chunk and reuse its space at once instead of after 45 s,
      // so the connector's compaction (H2Housekeeping) is at work within the seconds before a kill.
      String retention = System.getenv("RETENTION_MS");
      if (retention != null) {
        st.execute("SET RETENTION_TIME " + Integer.parseInt(retention));
      }
    }
    int claimers = Integer.parseInt(System.getenv().getOrDefault("CLAIMERS", "2"));
    for (int i = 0; i < claimers; i++) {
      String owner = "claimer-" + i;
      threads.add(daemon(owner, () -> claimLoop(ds, owner)));
    }
    for (int i = 0; i < 2; i++) {
      threads.add(daemon("webhooks-" + i, () -> webhookLoop(ds, webhookSeq)));
    }
    threads.add(daemon("processor", () -> processLoop(ds)));
    for (Thread t : threads) {
      t.join();
    }
  }

  private interface SqlLoop {
    void run() throws Exception;
  }

  private static Thread daemon(String name, SqlLoop body) {
    Thread t =
        new Thread(
            () -> {
              try {
                body.run();
              } catch (Exception e) {
                System.err.println(name + ": " + e);
                e.printStackTrace();
              }
            },
            name);
    t.start();
    return t;
  }

  private static void insertLoop(DataSource ds, boolean earlyAck) throws SQLException {
    String pad = "x".repeat(120);
    for (int batch = 0; ; batch++) {
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        try (PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body)"
                    + " VALUES (?, 'sms', ?, '+15005550006', ?)")) {
          for (int i = 0; i < BATCH; i++) {
            ps.setString(1, "b" + batch + "-" + i);
            ps.setString(2, "+1415555" + String.format("%04d", i % 10));
            ps.setString(3, "Reminder " + i + " " + pad);
            ps.addBatch();
          }
          ps.executeBatch();
        }
        if (earlyAck) {
          System.out.println("ACK " + batch);
          System.out.flush();
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
        }
        c.commit();
      }
      if (!earlyAck) {
        System.out.println("ACK " + batch);
        System.out.flush();
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(150));
    }
  }

  private static void claimLoop(DataSource ds, String owner) throws SQLException {
    int size = Integer.parseInt(System.getenv().getOrDefault("CLAIM_SIZE", "20"));
    for (long claim = 0; ; claim++) {
      String token = owner + "-" + claim;
      List<Long> ids = new ArrayList<>();
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT id FROM outbox_message WHERE status = 'PENDING' ORDER BY id LIMIT ?"
                    + " FOR UPDATE SKIP LOCKED")) {
          ps.setInt(1, size);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              ids.add(rs.getLong(1));
            }
          }
        }
        if (ids.isEmpty()) {
          c.rollback();
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
          continue;
        }
        update(c, "status = 'SENDING', lease_owner = '" + token + "'", ids);
        try (PreparedStatement ps =
            c.prepareStatement("INSERT INTO h2kill_claim (token, n) VALUES (?, ?)")) {
          ps.setString(1, token);
          ps.setInt(2, ids.size());
          ps.executeUpdate();
        }
        c.commit();
        update(c, "status = 'SENT', twilio_status = 'queued', twilio_sid = 'SM' || id", ids);
        c.commit();
      }
      long lo = ids.get(0);
      long hi = ids.get(ids.size() - 1);
      if (hi - lo + 1 == ids.size()) {
        System.out.println("SENT " + lo + " " + hi);
      } else {
        for (long id : ids) {
          System.out.println("SENT " + id + " " + id);
        }
      }
      System.out.flush();
    }
  }

  private static void update(Connection c, String set, List<Long> ids) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE outbox_message SET "
                + set
                + ", updated_at = ? WHERE id IN ("
                + String.join(", ", java.util.Collections.nCopies(ids.size(), "?"))
                + ")")) {
      ps.setTimestamp(1, Timestamp.from(Instant.now()));
      int i = 2;
      for (long id : ids) {
        ps.setLong(i++, id);
      }
      ps.executeUpdate();
    }
  }

  private static void webhookLoop(DataSource ds, AtomicLong seq) throws SQLException {
    String payload =
        "MessageStatus=delivered&AccountSid=AC" + "0".repeat(32) + "&" + "p".repeat(600);
    while (true) {
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        try (PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO webhook_event (kind, dedupe_key, sid, status, payload, received_at)"
                    + " VALUES ('message-status', ?, ?, 'delivered', ?, ?)")) {
          for (int i = 0; i < 16; i++) {
            long n = seq.incrementAndGet();
            ps.setString(1, "d" + n);
            ps.setString(2, "SM" + n);
            ps.setString(3, payload);
            ps.setTimestamp(4, Timestamp.from(Instant.now()));
            ps.addBatch();
          }
          ps.executeBatch();
        }
        c.commit();
      }
    }
  }

  private static void processLoop(DataSource ds) throws SQLException {
    long round = 0;
    while (true) {
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        List<Long> ids = new ArrayList<>();
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT id FROM webhook_event WHERE state = 'NEW' ORDER BY id LIMIT 200 FOR UPDATE"
                    + " SKIP LOCKED")) {
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              ids.add(rs.getLong(1));
            }
          }
        }
        if (!ids.isEmpty()) {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE webhook_event SET state = 'DONE', processed_at = CURRENT_TIMESTAMP"
                      + " WHERE id IN ("
                      + String.join(", ", java.util.Collections.nCopies(ids.size(), "?"))
                      + ")")) {
            int i = 1;
            for (long id : ids) {
              ps.setLong(i++, id);
            }
            ps.executeUpdate();
          }
        }
        c.commit();
        // Purge what is done, so chunks empty and H2 compacts and reuses file space.
        if (++round % 20 == 0) {
          try (Statement st = c.createStatement()) {
            st.executeUpdate(
                "DELETE FROM webhook_event WHERE state = 'DONE' AND id < (SELECT MAX(id) - 3000"
                    + " FROM webhook_event)");
          }
          c.commit();
        }
      }
    }
  }

  private static void deleteTree(Path dir) throws java.io.IOException {
    try (var s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}
