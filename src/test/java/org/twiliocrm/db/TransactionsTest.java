package org.twiliocrm.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Commit, rollback and the auto-commit mode around work run by {@link Transactions}. */
class TransactionsTest {
  private Connection c;
  private Connection other;

  @BeforeEach
  void open() throws SQLException {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:transactions_test;DB_CLOSE_DELAY=-1");
    c = ds.getConnection();
    other = ds.getConnection();
    try (Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS t");
      s.execute("CREATE TABLE t (v INT)");
    }
  }

  @AfterEach
  void close() throws SQLException {
    other.close();
    c.close();
  }

  private static void insert(Connection c, int v) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.executeUpdate("INSERT INTO t VALUES (" + v + ")");
    }
  }

  /** The rows as a second connection sees them: committed ones only. */
  private int committedRows() throws SQLException {
    try (Statement s = other.createStatement();
        ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM t")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void commitsWhatTheWorkDidAndRestoresAutoCommit() throws SQLException {
    int result =
        Transactions.inTransaction(
            c,
            x -> {
              insert(x, 1);
              assertThat(x.getAutoCommit()).isFalse();
              assertThat(committedRows()).isZero();
              return 7;
            });
    assertThat(result).isEqualTo(7);
    assertThat(committedRows()).isEqualTo(1);
    assertThat(c.getAutoCommit()).isTrue();
  }

  @Test
  void rollsBackWhenTheWorkThrows() throws SQLException {
    assertThatThrownBy(
            () ->
                Transactions.run(
                    c,
                    x -> {
                      insert(x, 1);
                      throw new IllegalStateException("boom");
                    }))
        .hasMessage("boom");
    assertThat(committedRows()).isZero();
    assertThat(c.getAutoCommit()).isTrue();
  }

  @Test
  void theStepAfterCommitRunsOnceCommittedWithAutoCommitBack() throws SQLException {
    List<String> seen = new ArrayList<>();
    String result =
        Transactions.inTransactionThen(
            c,
            x -> {
              insert(x, 1);
              seen.add("work");
              return () -> {
                seen.add("step: " + committedRows() + " committed, auto " + x.getAutoCommit());
                return "done";
              };
            });
    assertThat(result).isEqualTo("done");
    assertThat(seen).containsExactly("work", "step: 1 committed, auto true");
  }

  @Test
  void theStepAfterCommitDoesNotRunWhenTheWorkThrows() throws SQLException {
    List<String> seen = new ArrayList<>();
    assertThatThrownBy(
            () ->
                Transactions.inTransactionThen(
                    c,
                    x -> {
                      insert(x, 1);
                      if (seen.isEmpty()) {
                        throw new SQLException("boom");
                      }
                      return () -> seen.add("step");
                    }))
        .hasMessage("boom");
    assertThat(seen).isEmpty();
    assertThat(committedRows()).isZero();
    assertThat(c.getAutoCommit()).isTrue();
  }
}
