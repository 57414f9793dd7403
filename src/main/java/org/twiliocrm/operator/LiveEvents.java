package org.twiliocrm.operator;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.AuthenticationHandler;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/events}: server-sent events telling the operator console (or a script) that
 * something it shows changed, so it can read the new state through the ordinary {@code /api/*}
 * endpoints. One event per change, {@code event: change}, with the changed topics as JSON: {@code
 * messages} (an outbox row changed), {@code webhooks} (a status or an inbound message arrived),
 * {@code approvals}, {@code consent}.
 *
 * <p>The database is asked once a second, and only while at least one listener is connected: four
 * single-row queries that indexes answer (MAX of an indexed column). With no listener nothing is
 * polled. Listeners are capped ({@link #MAX_LISTENERS}); a comment line every 15 s keeps proxies
 * from closing an idle stream and finds listeners that went away.
 *
 * <p>Authentication is the operator gate itself, as for every {@code /api} path (viewer: a GET):
 * the route is {@code gate → this}, mounted on platform-http's router ahead of the Camel route,
 * since a Camel route answers with a whole body and cannot stream.
 */
public final class LiveEvents implements AutoCloseable {
  public static final String PATH = "/api/events";
  static final int MAX_LISTENERS = 100;
  private static final Logger LOG = LoggerFactory.getLogger(LiveEvents.class);
  private static final Duration POLL = Duration.ofSeconds(1);
  private static final long HEARTBEAT_TICKS = 15;
  private static final String[] TOPICS = {"messages", "webhooks", "approvals", "consent"};
  private static final String[] QUERIES = {
    "SELECT MAX(updated_at) FROM outbox_message",
    "SELECT MAX(id) FROM webhook_event",
    "SELECT MAX(id), MAX(decided_at) FROM approval_request",
    "SELECT MAX(id) FROM consent_event"
  };

  private final DataSource dataSource;
  private final Set<HttpServerResponse> listeners = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "console-live-events");
            t.setDaemon(true);
            return t;
          });
  private final AtomicLong polls = new AtomicLong();
  private ScheduledFuture<?> task;
  private String[] last;
  private long ticks;

  public LiveEvents(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Mounts {@code GET /api/events} behind {@code gate} on the context's platform-http router. */
  public void install(CamelContext context, AuthenticationHandler gate) {
    for (VertxPlatformHttpRouter router :
        context.getRegistry().findByType(VertxPlatformHttpRouter.class)) {
      router
          .route(HttpMethod.GET, PATH)
          .order(Integer.MIN_VALUE + 1)
          .handler(gate)
          .handler(this::open);
    }
  }

  /** Database polls so far (tests: none while nobody listens). */
  public long polls() {
    return polls.get();
  }

  /** Connected listeners. */
  public int listeners() {
    return listeners.size();
  }

  void open(RoutingContext ctx) {
    HttpServerResponse r = ctx.response();
    // The gate pauses a request while it checks a password; this one has no body to wait for.
    ctx.request().resume();
    if (listeners.size() >= MAX_LISTENERS) {
      r.setStatusCode(503)
          .putHeader("Content-Type", "application/json")
          .putHeader("Retry-After", "10")
          .end("{\"error\":\"unavailable\",\"message\":\"too many live-update listeners\"}");
      return;
    }
    r.setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-store")
        .putHeader("X-Accel-Buffering", "no");
    listeners.add(r);
    r.closeHandler(v -> listeners.remove(r));
    r.exceptionHandler(e -> listeners.remove(r));
    r.write("retry: 3000\n: connected\n\n");
    start();
  }

  private synchronized void start() {
    if (task == null) {
      last = null;
      ticks = 0;
      task = timer.scheduleWithFixedDelay(this::tick, 0, POLL.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private synchronized void tick() {
    if (listeners.isEmpty()) {
      // Nobody listens: stop asking the database until someone connects again.
      if (task != null) {
        task.cancel(false);
        task = null;
      }
      return;
    }
    String[] now;
    try {
      now = read();
    } catch (SQLException | RuntimeException e) {
      LOG.warn("console live updates: the database could not be read: {}", e.toString());
      return;
    }
    List<String> changed = new ArrayList<>();
    if (last != null) {
      for (int i = 0; i < TOPICS.length; i++) {
        if (!Objects.equals(last[i], now[i])) {
          changed.add(TOPICS[i]);
        }
      }
    }
    last = now;
    if (!changed.isEmpty()) {
      broadcast(
          "event: change\ndata: {\"topics\":[\"" + String.join("\",\"", changed) + "\"]}\n\n");
    } else if (++ticks % HEARTBEAT_TICKS == 0) {
      broadcast(": keep-alive\n\n");
    }
  }

  private String[] read() throws SQLException {
    polls.incrementAndGet();
    String[] out = new String[QUERIES.length];
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      for (int i = 0; i < QUERIES.length; i++) {
        try (ResultSet rs = s.executeQuery(QUERIES[i])) {
          StringBuilder b = new StringBuilder();
          if (rs.next()) {
            for (int col = 1; col <= rs.getMetaData().getColumnCount(); col++) {
              b.append(rs.getString(col)).append('|');
            }
          }
          out[i] = b.toString();
        }
      }
    }
    return out;
  }

  private void broadcast(String frame) {
    for (HttpServerResponse r : listeners) {
      if (r.closed() || r.ended()) {
        listeners.remove(r);
        continue;
      }
      try {
        r.write(frame);
      } catch (RuntimeException e) {
        listeners.remove(r);
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    for (HttpServerResponse r : listeners) {
      try {
        r.end();
      } catch (RuntimeException e) {
        // already gone
      }
    }
    listeners.clear();
  }
}
