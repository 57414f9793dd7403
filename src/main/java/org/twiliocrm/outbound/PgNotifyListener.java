package org.twiliocrm.outbound;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LISTENs on channel {@code outbox_message} on its own PostgreSQL connection (the V10 trigger
 * NOTIFYs on every insert) and wakes the claimer, so a committed row is claimed within
 * milliseconds. pgjdbc's {@code getNotifications(timeout)} blocks on the socket; no camel-pgevent
 * (it drags in an old netty). NOTIFY is not durable, so the claimer still polls.
 */
public final class PgNotifyListener implements AutoCloseable {
  static final String CHANNEL = "outbox_message";
  private static final Logger LOG = LoggerFactory.getLogger(PgNotifyListener.class);

  private final String url;
  private final String user;
  private final String password;
  private final Runnable onNotify;
  private final Thread thread;
  private volatile boolean running = true;
  private volatile Connection connection;
  private volatile boolean listening;

  public PgNotifyListener(String url, String user, String password, Runnable onNotify) {
    this.url = url;
    this.user = user;
    this.password = password;
    this.onNotify = onNotify;
    this.thread = new Thread(this::loop, "outbox-pg-listen");
    this.thread.setDaemon(true);
  }

  public PgNotifyListener start() {
    thread.start();
    return this;
  }

  /** True once LISTEN is active (tests wait for it before inserting). */
  public boolean isListening() {
    return listening;
  }

  private void loop() {
    long backoff = 500;
    while (running) {
      try (Connection c = DriverManager.getConnection(url, user, password)) {
        connection = c;
        try (Statement s = c.createStatement()) {
          s.execute("LISTEN " + CHANNEL);
        }
        listening = true;
        backoff = 500;
        PGConnection pg = c.unwrap(PGConnection.class);
        while (running) {
          PGNotification[] n = pg.getNotifications(1_000);
          if (n != null && n.length > 0) {
            onNotify.run();
          }
        }
      } catch (SQLException e) {
        listening = false;
        if (!running) {
          return;
        }
        LOG.warn("Outbox LISTEN connection lost, polling meanwhile: {}", e.getMessage());
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException ie) {
          return;
        }
        backoff = Math.min(10_000, backoff * 2);
      }
    }
  }

  @Override
  public void close() {
    running = false;
    listening = false;
    thread.interrupt();
    try {
      Connection c = connection;
      if (c != null) {
        c.close();
      }
      thread.join(2_000);
    } catch (SQLException | InterruptedException e) {
      // closing anyway
    }
  }
}
