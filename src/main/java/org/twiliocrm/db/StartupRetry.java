package org.twiliocrm.db;

import io.github.resilience4j.core.IntervalFunction;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.Redaction;

/**
 * Start-up's wait for the first database connection. On a busy machine, or when the database
 * container starts beside the connector, the first connection can take longer than one pool
 * timeout; start-up keeps trying with exponential backoff (resilience4j's interval function) for
 * {@value #KEY}, logging each failed attempt in one line, then gives up with a message that names
 * the key. Credentials that the server refuses are not retried: waiting does not fix them.
 */
final class StartupRetry {
  private static final Logger LOG = LoggerFactory.getLogger(StartupRetry.class);

  static final String KEY = "connector.db.startup-timeout";

  /** One try at a connection; the pool's getConnection, bounded by connector.db.connect-timeout. */
  @FunctionalInterface
  interface Connector {
    Connection connect() throws SQLException;
  }

  private final IntervalFunction backoff =
      IntervalFunction.ofExponentialBackoff(Duration.ofMillis(500), 2.0, Duration.ofSeconds(5));

  private StartupRetry() {}

  /** Returns the first connection that opens; throws once the budget is spent. */
  static Connection firstConnection(String displayUrl, Duration budget, Connector connector) {
    return new StartupRetry().run(displayUrl, budget, connector);
  }

  private Connection run(String displayUrl, Duration budget, Connector connector) {
    long start = System.nanoTime();
    long deadline = start + budget.toNanos();
    for (int attempt = 1; ; attempt++) {
      try {
        Connection c = connector.connect();
        if (attempt > 1) {
          LOG.info(
              "Database {} reachable at attempt {}, after {} ms",
              displayUrl,
              attempt,
              (System.nanoTime() - start) / 1_000_000);
        }
        return c;
      } catch (SQLException e) {
        String reason = reason(e);
        if (permanent(e)) {
          throw new IllegalStateException(
              "the server refused the connection (not retried): " + reason, e);
        }
        long remainingMillis = (deadline - System.nanoTime()) / 1_000_000;
        if (remainingMillis <= 0) {
          throw new IllegalStateException(
              "not reachable after "
                  + attempt
                  + " attempt(s) in "
                  + budget.toSeconds()
                  + " s ("
                  + KEY
                  + "="
                  + budget.toSeconds()
                  + "s; raise it if the database takes longer to come up): "
                  + reason,
              e);
        }
        long wait = Math.min(backoff.apply(attempt), remainingMillis);
        // One line, no stack trace: an unreachable database at start-up is an expected condition.
        LOG.warn(
            "Database {} not reachable (attempt {}), next try in {} ms, giving up in {} s: {}",
            displayUrl,
            attempt,
            wait,
            (remainingMillis + 999) / 1000,
            reason);
        try {
          Thread.sleep(wait);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("start-up interrupted while waiting for the database", e);
        }
      }
    }
  }

  /** Refused credentials (SQLSTATE class 28) or a database that does not exist (3D000). */
  static boolean permanent(SQLException e) {
    for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
      if (t instanceof SQLException s && s.getSQLState() != null) {
        String state = s.getSQLState();
        if (state.startsWith("28") || state.equals("3D000")) {
          return true;
        }
      }
    }
    return false;
  }

  /** The innermost message, first line only, with any credentials in a URL masked. */
  static String reason(Throwable e) {
    String m = Database.rootMessage(e);
    int nl = m.indexOf('\n');
    if (nl >= 0) {
      m = m.substring(0, nl);
    }
    return Redaction.jdbcUrl(m.strip());
  }
}
