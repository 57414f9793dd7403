package org.twiliocrm.db;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * One way to run JDBC work as a transaction: commit when the work returns, roll back when it
 * throws, and give the connection back with the auto-commit mode it had. Work that decides to
 * abandon its changes may call {@code c.rollback()} itself and return; the commit that follows then
 * has nothing to commit.
 */
public final class Transactions {
  private Transactions() {}

  /** JDBC work on one connection. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /** JDBC work on one connection that returns nothing. */
  @FunctionalInterface
  public interface VoidWork {
    void run(Connection c) throws SQLException;
  }

  /**
   * What some work has left to do once its transaction has committed: read back what it committed,
   * or tell rows in memory and other threads what became of them.
   */
  @FunctionalInterface
  public interface AfterCommit<T> {
    T run() throws SQLException;
  }

  /** Runs {@code work} in one transaction on a connection of {@code dataSource}. */
  public static <T> T inTransaction(DataSource dataSource, Work<T> work) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      return inTransaction(c, work);
    }
  }

  /** Runs {@code work} in one transaction on {@code c}, restoring its auto-commit mode after. */
  public static <T> T inTransaction(Connection c, Work<T> work) throws SQLException {
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try {
      T result = work.run(c);
      c.commit();
      return result;
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(auto);
    }
  }

  /**
   * Runs {@code work} as {@link #inTransaction(Connection, Work)} does, then the step it returns:
   * after the commit, with {@code c}'s auto-commit mode restored, still on {@code c}. The step does
   * not run when the work throws, and a step that throws has nothing left to roll back.
   */
  public static <T> T inTransactionThen(Connection c, Work<AfterCommit<T>> work)
      throws SQLException {
    return inTransaction(c, work).run();
  }

  /** As {@link #inTransaction(Connection, Work)} for work that returns nothing. */
  public static void run(Connection c, VoidWork work) throws SQLException {
    inTransaction(
        c,
        x -> {
          work.run(x);
          return null;
        });
  }

  /** As {@link #inTransaction(DataSource, Work)} for work that returns nothing. */
  public static void run(DataSource dataSource, VoidWork work) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      run(c, work);
    }
  }
}
