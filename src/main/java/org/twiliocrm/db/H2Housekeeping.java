package org.twiliocrm.db;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.h2.engine.Session;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compacts the embedded H2 file while the connector runs, which H2 does not do on its own with the
 * connector's {@code WRITE_DELAY=0}.
 *
 * <p>Why: H2 writes every change as new pages in a new chunk at the end of the file and frees a
 * chunk only when none of its pages is live any more. Its background thread rewrites the few live
 * pages of mostly dead chunks so that they can be freed, but H2 runs that thread only with a write
 * delay, and {@code WRITE_DELAY=0} (one store per commit, CommitDurability) stops it: the last
 * version of a page that never changes again (a finished message's rows) then keeps its chunk in
 * the file forever. On the whole loop the file grew by every byte written, 68 kB a message (1.37 GB
 * after 20,000 messages, 11 % of its chunks live), and H2's own map of its chunks, rewritten at
 * every store, grew with it (docs/performance.md, fourteenth round).
 *
 * <p>So every {@link #EVERY} this asks the store to rewrite up to {@link #WRITE_BYTES} of live
 * pages from the chunks with the least live data, while fewer than {@link #TARGET_FILL_RATE} per
 * cent of the chunks' space is live ({@code MVStore.compact}, what H2's background thread calls;
 * the pages move at H2's next store, in a commit like any other). A freed chunk's space is used
 * again once H2's retention time (45 s) has passed, so under a steady load the file stops growing
 * at about what 45 s of writes take plus the live data.
 *
 * <p>Reads H2 internals (the embedded session's database and its store), as {@link H2ExitHook}
 * does; the H2 version is pinned in the pom and H2HousekeepingTest fails if they change.
 */
final class H2Housekeeping implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(H2Housekeeping.class);

  static final Duration EVERY = Duration.ofMillis(500);
  static final int TARGET_FILL_RATE = 50;
  static final int WRITE_BYTES = 2 << 20;

  private final DataSource dataSource;
  private final String displayUrl;
  private final ScheduledExecutorService timer;
  private final AtomicLong runs = new AtomicLong();
  private final AtomicLong compacted = new AtomicLong();
  private volatile boolean warned;

  H2Housekeeping(DataSource dataSource, String displayUrl) {
    this.dataSource = dataSource;
    this.displayUrl = displayUrl;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "h2-housekeeping");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts compacting the embedded H2 database {@code dataSource} opens, every {@link #EVERY}. */
  static H2Housekeeping start(DataSource dataSource, String displayUrl) {
    H2Housekeeping h = new H2Housekeeping(dataSource, displayUrl);
    h.timer.scheduleWithFixedDelay(
        h::runSafely, EVERY.toMillis(), EVERY.toMillis(), TimeUnit.MILLISECONDS);
    return h;
  }

  private void runSafely() {
    try {
      runOnce();
    } catch (SQLException | RuntimeException e) {
      // Compaction is housekeeping: a failure leaves the file larger, never the data wrong. One
      // warning, not one per half second while the database is down.
      if (!warned) {
        warned = true;
        LOG.warn(
            "Database {}: compacting the H2 file failed (it may grow until this works again): {}",
            displayUrl,
            Database.rootMessage(e));
      }
    }
  }

  /** One pass; true when some chunk's live pages were rewritten. */
  boolean runOnce() throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      MVStore store = store(c);
      if (store == null) {
        return false;
      }
      runs.incrementAndGet();
      boolean did = store.compact(TARGET_FILL_RATE, WRITE_BYTES);
      if (did) {
        compacted.incrementAndGet();
      }
      warned = false;
      return did;
    }
  }

  /** The store of the embedded database this connection is a session of; null when it has none. */
  static MVStore store(Connection c) throws SQLException {
    Session s = c.unwrap(JdbcConnection.class).getSession();
    if (!(s instanceof SessionLocal local)) {
      return null; // a client of another process's H2 server: that process keeps its file
    }
    var st = local.getDatabase().getStore();
    return st == null ? null : st.getMvStore();
  }

  /** Passes run and passes that rewrote something, for the log at close. */
  long[] counts() {
    return new long[] {runs.get(), compacted.get()};
  }

  @Override
  public void close() {
    timer.shutdownNow();
    try {
      timer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
