package org.twiliocrm.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLTransactionRollbackException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.twiliocrm.db.Database;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * How the write-back records Salesforce's answer for one batch, on each supported database: one
 * commit for the whole batch (it was one autocommitted UPDATE per record, 200 durable commits per
 * call, which paced the whole loop on the embedded database), the same outcome per row as before
 * (synced rows clean unless they moved on, rejected ones backing off, leases cleared), and when the
 * transaction fails part-way (a lock conflict with a status batch), nothing of it stays and every
 * row is recorded one at a time instead.
 */
class WritebackRecordSyncIT {
  private static final int ROWS = 200;
  private static final String OWNER = "replica-a";

  @ParameterizedTest
  @EnumSource(TestDatabase.Kind.class)
  void aBatchIsRecordedInOneCommit(TestDatabase.Kind kind) throws Exception {
    try (TestDatabase tdb = TestDatabase.of(kind, "wb_sync");
        Database db = tdb.open(4)) {
      seed(db.dataSource());
      Counting counting = new Counting(db.dataSource(), -1);
      new MessageStateStore(counting).recordSync(results(), OWNER);

      assertThat(counting.autocommitted.get())
          .as("statements run in autocommit, each a durable commit of its own")
          .isZero();
      assertThat(counting.commits.get()).as("commits for one batch of " + ROWS).isEqualTo(1);
      assertOutcome(tdb);
    }
  }

  @ParameterizedTest
  @EnumSource(TestDatabase.Kind.class)
  void aFailedBatchIsRolledBackAndRecordedOneRowAtATime(TestDatabase.Kind kind) throws Exception {
    try (TestDatabase tdb = TestDatabase.of(kind, "wb_sync_fallback");
        Database db = tdb.open(4)) {
      seed(db.dataSource());
      // The transaction's 150th statement fails as a deadlock would; the rejected row (key order
      // puts it first) was already updated in it, so a missing rollback would count its attempt
      // twice.
      Counting counting = new Counting(db.dataSource(), 150);
      new MessageStateStore(counting).recordSync(results(), OWNER);

      assertThat(counting.failed.get()).as("the injected failure happened").isEqualTo(1);
      assertThat(counting.autocommitted.get())
          .as("rows recorded one at a time")
          .isEqualTo(ROWS + 1);
      assertOutcome(tdb);
    }
  }

  private static String sid(int i) {
    return "SM" + String.format("%032x", i);
  }

  /**
   * ROWS dirty records at version 1 leased to OWNER; the last one moved on to version 2 while its
   * batch was in flight; one more is leased to another replica, whose lease this one must not
   * clear.
   */
  private static void seed(DataSource ds) throws SQLException {
    Timestamp now = Timestamp.from(Instant.now().minusSeconds(1));
    try (Connection c = ds.getConnection();
        PreparedStatement p =
            c.prepareStatement(
                "INSERT INTO message_state (message_sid, direction, status, created_at,"
                    + " updated_at, crm_version, crm_dirty_since, crm_lease_owner,"
                    + " crm_lease_until) VALUES (?, 'outbound', 'delivered', ?, ?, ?, ?, ?, ?)")) {
      for (int i = 0; i <= ROWS; i++) {
        p.setString(1, sid(i));
        p.setTimestamp(2, now);
        p.setTimestamp(3, now);
        p.setInt(4, i == ROWS - 1 ? 2 : 1);
        p.setTimestamp(5, now);
        p.setString(6, i == ROWS ? "replica-b" : OWNER);
        p.setTimestamp(7, Timestamp.from(Instant.now().plusSeconds(60)));
        p.addBatch();
      }
      p.executeBatch();
    }
  }

  /** Salesforce's answer: all synced at version 1 except row 0, rejected; shuffled. */
  private static List<MessageStateStore.SyncResult> results() {
    List<MessageStateStore.SyncResult> out = new ArrayList<>();
    out.add(new MessageStateStore.Retry(sid(0), Instant.now().plusSeconds(300), "REQUIRED_FIELD"));
    for (int i = 1; i <= ROWS; i++) {
      out.add(new MessageStateStore.Synced(sid(i), 1));
    }
    Collections.shuffle(out, new Random(7));
    return out;
  }

  private static void assertOutcome(TestDatabase tdb) {
    assertThat(
            tdb.count(
                "SELECT COUNT(*) FROM message_state WHERE crm_synced_version = 1 AND"
                    + " crm_dirty_since IS NULL AND crm_lease_owner IS NULL AND crm_attempts = 0"))
        .as("synced and clean")
        .isEqualTo(ROWS - 2);
    assertThat(
            tdb.count(
                "SELECT COUNT(*) FROM message_state WHERE message_sid = ? AND crm_synced_version"
                    + " = 1 AND crm_version = 2 AND crm_dirty_since IS NOT NULL AND"
                    + " crm_lease_owner IS NULL",
                sid(ROWS - 1)))
        .as("moved on while in flight: synced at 1, still dirty")
        .isEqualTo(1);
    assertThat(
            tdb.count(
                "SELECT COUNT(*) FROM message_state WHERE message_sid = ? AND crm_synced_version"
                    + " = 0 AND crm_attempts = 1 AND crm_last_error = 'REQUIRED_FIELD' AND"
                    + " crm_next_attempt_at IS NOT NULL AND crm_lease_owner IS NULL",
                sid(0)))
        .as("rejected: one attempt counted, backing off")
        .isEqualTo(1);
    assertThat(
            tdb.count(
                "SELECT COUNT(*) FROM message_state WHERE message_sid = ? AND crm_synced_version"
                    + " = 0 AND crm_lease_owner = 'replica-b'",
                sid(ROWS)))
        .as("another replica's lease is left alone")
        .isEqualTo(1);
  }

  /**
   * The real data source, counting what reaches the database: commits, and statements run in
   * autocommit (each its own durable commit). With {@code failAt} > 0, the failAt-th statement run
   * inside a transaction throws as a deadlock victim's would, before it reaches the database.
   */
  private static final class Counting implements DataSource {
    private final DataSource real;
    private final int failAt;
    final AtomicInteger commits = new AtomicInteger();
    final AtomicInteger autocommitted = new AtomicInteger();
    final AtomicInteger inTransaction = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();

    Counting(DataSource real, int failAt) {
      this.real = real;
      this.failAt = failAt;
    }

    @Override
    public Connection getConnection() throws SQLException {
      return wrap(real.getConnection());
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      return wrap(real.getConnection(user, password));
    }

    private Connection wrap(Connection c) {
      InvocationHandler h =
          (proxy, m, args) -> {
            if (m.getName().equals("commit")) {
              commits.incrementAndGet();
            }
            Object r = invoke(c, m, args);
            if (r instanceof PreparedStatement ps) {
              return statement(c, ps);
            }
            return r;
          };
      return (Connection)
          Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class}, h);
    }

    private PreparedStatement statement(Connection c, PreparedStatement ps) {
      InvocationHandler h =
          (proxy, m, args) -> {
            String n = m.getName();
            if (n.equals("executeUpdate") || n.equals("executeBatch") || n.equals("execute")) {
              if (c.getAutoCommit()) {
                autocommitted.incrementAndGet();
              } else if (inTransaction.incrementAndGet() == failAt) {
                failed.incrementAndGet();
                throw new SQLTransactionRollbackException("injected deadlock", "40001");
              }
            }
            return invoke(ps, m, args);
          };
      return (PreparedStatement)
          Proxy.newProxyInstance(
              getClass().getClassLoader(), new Class<?>[] {PreparedStatement.class}, h);
    }

    private static Object invoke(Object target, java.lang.reflect.Method m, Object[] args)
        throws Throwable {
      try {
        return m.invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
      return real.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
      real.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
      real.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
      return real.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() {
      return Logger.getLogger("counting");
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      return real.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
      return real.isWrapperFor(iface);
    }
  }
}
