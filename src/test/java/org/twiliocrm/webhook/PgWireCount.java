package org.twiliocrm.webhook;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Counts the statements pgjdbc sends on the wire from the threads whose name {@code threads}
 * accepts: every Execute and simple Query message (BEGIN and COMMIT included), from the driver's
 * own protocol log.
 */
final class PgWireCount extends Handler implements AutoCloseable {
  private static final Logger PGJDBC = Logger.getLogger("org.postgresql.core.v3");
  final AtomicLong statements = new AtomicLong();
  private final Level level = PGJDBC.getLevel();
  private final Predicate<String> threads;

  PgWireCount(Predicate<String> threads) {
    this.threads = threads;
    setLevel(Level.ALL);
    PGJDBC.setLevel(Level.FINEST);
    PGJDBC.addHandler(this);
  }

  @Override
  public void publish(LogRecord r) {
    String m = r.getMessage();
    if (m != null
        && (m.startsWith(" FE=> Execute") || m.startsWith(" FE=> SimpleQuery"))
        && threads.test(Thread.currentThread().getName())) {
      statements.incrementAndGet();
    }
  }

  @Override
  public void flush() {}

  @Override
  public void close() {
    PGJDBC.removeHandler(this);
    PGJDBC.setLevel(level);
  }
}
