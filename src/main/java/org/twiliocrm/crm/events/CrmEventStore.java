package org.twiliocrm.crm.events;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.db.Transactions;
import org.twiliocrm.outbound.OutboxStore;

/**
 * The one durable step of the CRM-event flows. For each received event, in ONE transaction: insert
 * its outbox rows (a duplicate idempotency key is ignored, never sent twice), record its
 * rejections, and store the event's replay id as the channel's resume point in connector_state. So
 * the stored replay id never runs ahead of a committed row (nothing is missed after a crash) and a
 * replayed event only meets its own unique keys (nothing is sent twice). Plain JDBC that runs
 * unchanged on H2, PostgreSQL and MariaDB: duplicates are detected by SQLState class 23 under a
 * savepoint, which also keeps PostgreSQL's transaction usable.
 */
public final class CrmEventStore {
  private static final Logger LOG = LoggerFactory.getLogger(CrmEventStore.class);
  static final String STATE_PREFIX = "crm.events.replay-id:";

  private static final String INSERT_REJECTION =
      "INSERT INTO crm_event_rejection (event_key, channel, replay_id, reason_code, reason,"
          + " crm_object, crm_record_id, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
  // PostgreSQL: one round trip each instead of savepoint + insert + release (the event path is a
  // chain of round trips on one thread, so they bound the events per second).
  private static final String INSERT_REJECTION_PG =
      INSERT_REJECTION + " ON CONFLICT (event_key) DO NOTHING";
  private static final String UPSERT_STATE_PG =
      "INSERT INTO connector_state (name, state_value, updated_at) VALUES (?, ?, CURRENT_TIMESTAMP)"
          + " ON CONFLICT (name) DO UPDATE SET state_value = EXCLUDED.state_value,"
          + " updated_at = EXCLUDED.updated_at";
  private static final String UPDATE_STATE =
      "UPDATE connector_state SET state_value = ?, updated_at = CURRENT_TIMESTAMP WHERE name = ?";
  private static final String INSERT_STATE =
      "INSERT INTO connector_state (name, state_value, updated_at) VALUES (?, ?, CURRENT_TIMESTAMP)";

  private final DataSource dataSource;
  private final CrmEventMetrics metrics;
  private final String sender;
  private final String messagingServiceSid;
  private final boolean postgres;

  /**
   * {@code from}: crm.events.sender (a number or an MG... Messaging Service SID), or null; {@code
   * postgres}: use PostgreSQL's ON CONFLICT instead of portable savepoints.
   */
  public CrmEventStore(
      DataSource dataSource, CrmEventMetrics metrics, String from, boolean postgres) {
    this.dataSource = dataSource;
    this.postgres = postgres;
    this.metrics = metrics;
    boolean service = from != null && from.startsWith("MG");
    this.sender = service ? null : from;
    this.messagingServiceSid = service ? from : null;
  }

  /** What a commit did. */
  public record Result(int inserted, int duplicates, int rejected) {}

  /**
   * Writes the outcome and advances the replay id; returns the outcome unchanged. A database error
   * propagates (nothing was committed).
   */
  public EventOutcome commit(EventOutcome outcome) throws SQLException {
    commitAll(List.of(outcome));
    return outcome;
  }

  /**
   * Group commit: writes the outcomes of several events, in the order they were received, and the
   * last replay id of each channel among them, in ONE transaction; then counts and logs them. The
   * caller hands over a prefix of the received events, so the stored replay id still never runs
   * ahead of a committed row. A database error propagates (nothing was committed).
   */
  public List<Result> commitAll(List<EventOutcome> outcomes) throws SQLException {
    List<Result> results = writeAll(outcomes);
    for (int i = 0; i < outcomes.size(); i++) {
      EventOutcome outcome = outcomes.get(i);
      metrics.committed(outcome.channel(), results.get(i));
      for (Decision.Reject rej : outcome.rejections()) {
        // The recipient may be in the payload: log the reason and record id only.
        LOG.warn(
            "CRM event rejected on {} (replay id {}): {} - {} (record {})",
            outcome.channel(),
            outcome.replayId(),
            rej.reasonCode(),
            rej.reason(),
            rej.crmRecordId());
        metrics.rejected(outcome.channel(), rej.reasonCode());
      }
    }
    return results;
  }

  Result write(EventOutcome outcome) throws SQLException {
    return writeAll(List.of(outcome)).get(0);
  }

  List<Result> writeAll(List<EventOutcome> outcomes) throws SQLException {
    return Transactions.inTransaction(
        dataSource,
        c -> {
          int[][] fresh = postgres ? insertBatched(c, outcomes) : insertEach(c, outcomes);
          List<Result> results = new ArrayList<>(outcomes.size());
          Map<String, Long> lastReplayId = new LinkedHashMap<>();
          for (int i = 0; i < outcomes.size(); i++) {
            EventOutcome outcome = outcomes.get(i);
            int inserted = 0;
            int duplicates = 0;
            int rejected = 0;
            for (int k = 0; k < outcome.decisions().size(); k++) {
              boolean isNew = fresh[i][k] > 0;
              if (outcome.decisions().get(k) instanceof Decision.Send) {
                if (isNew) {
                  inserted++;
                } else {
                  duplicates++;
                }
              } else if (isNew) {
                rejected++;
              }
            }
            results.add(new Result(inserted, duplicates, rejected));
            if (outcome.replayId() != null) {
              lastReplayId.put(outcome.channel(), outcome.replayId());
            }
          }
          for (Map.Entry<String, Long> e : lastReplayId.entrySet()) {
            storeReplayId(c, e.getKey(), e.getValue());
          }
          return results;
        });
  }

  /** PostgreSQL: every row of the group in one JDBC batch per table (ON CONFLICT DO NOTHING). */
  private int[][] insertBatched(Connection c, List<EventOutcome> outcomes) throws SQLException {
    int[][] fresh = new int[outcomes.size()][];
    try (PreparedStatement sends = OutboxStore.prepareInsert(c, true);
        PreparedStatement rejects = c.prepareStatement(INSERT_REJECTION_PG)) {
      List<int[]> sendAt = new ArrayList<>();
      List<int[]> rejectAt = new ArrayList<>();
      for (int i = 0; i < outcomes.size(); i++) {
        EventOutcome o = outcomes.get(i);
        fresh[i] = new int[o.decisions().size()];
        for (int k = 0; k < o.decisions().size(); k++) {
          Decision d = o.decisions().get(k);
          if (d instanceof Decision.Send s) {
            bindSend(sends, s, sender, messagingServiceSid);
            sends.addBatch();
            sendAt.add(new int[] {i, k});
          } else {
            bindReject(rejects, (Decision.Reject) d, o);
            rejects.addBatch();
            rejectAt.add(new int[] {i, k});
          }
        }
      }
      spread(sendAt.isEmpty() ? new int[0] : sends.executeBatch(), sendAt, fresh);
      spread(rejectAt.isEmpty() ? new int[0] : rejects.executeBatch(), rejectAt, fresh);
    }
    return fresh;
  }

  private static void spread(int[] counts, List<int[]> at, int[][] fresh) {
    for (int j = 0; j < at.size(); j++) {
      // pgjdbc reports the real count per statement: 1 inserted, 0 conflict.
      fresh[at.get(j)[0]][at.get(j)[1]] =
          counts[j] == PreparedStatement.SUCCESS_NO_INFO ? 1 : counts[j];
    }
  }

  /** Other databases: one statement per row, a duplicate detected under a savepoint. */
  private int[][] insertEach(Connection c, List<EventOutcome> outcomes) throws SQLException {
    int[][] fresh = new int[outcomes.size()][];
    for (int i = 0; i < outcomes.size(); i++) {
      EventOutcome outcome = outcomes.get(i);
      fresh[i] = new int[outcome.decisions().size()];
      for (int k = 0; k < outcome.decisions().size(); k++) {
        Decision d = outcome.decisions().get(k);
        boolean isNew;
        if (d instanceof Decision.Send s) {
          isNew =
              insertOnce(
                  c,
                  cn -> OutboxStore.prepareInsert(cn, false),
                  ps -> bindSend(ps, s, sender, messagingServiceSid));
        } else {
          Decision.Reject j = (Decision.Reject) d;
          isNew =
              insertOnce(
                  c, cn -> cn.prepareStatement(INSERT_REJECTION), ps -> bindReject(ps, j, outcome));
        }
        fresh[i][k] = isNew ? 1 : 0;
      }
    }
    return fresh;
  }

  /** The stored resume point of a channel, if any. */
  public Optional<Long> replayId(String channel) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT state_value FROM connector_state WHERE name = ?")) {
      ps.setString(1, STATE_PREFIX + channel);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next() && rs.getString(1) != null) {
          return Optional.of(Long.parseLong(rs.getString(1).trim()));
        }
        return Optional.empty();
      }
    }
  }

  /**
   * Last resort after an event exhausted its retries (e.g. a value the database refuses): the
   * outcome that records it as PROCESSING_FAILED and moves the replay id past it, so it is visible
   * and does not come back on every restart. Logged and counted here; committed in order by {@link
   * CrmEventCommitter}.
   */
  EventOutcome failure(String channel, Long replayId, Throwable cause) {
    String reason = "processing failed after retries: " + describe(cause);
    LOG.error("CRM event on {} (replay id {}) given up: {}", channel, replayId, reason);
    metrics.rejected(channel, "PROCESSING_FAILED");
    return new EventOutcome(
        channel,
        replayId,
        List.of(
            new Decision.Reject(
                "failed:" + channel + ":" + replayId,
                "PROCESSING_FAILED",
                reason,
                null,
                null,
                null)));
  }

  /**
   * A database error without the row's values: pgjdbc's batch error quotes the whole statement with
   * its parameters, and a server error's "Detail: Failing row contains (...)" lists the row. Both
   * would put recipients' phone numbers into the log and the rejection table.
   */
  static String describe(Throwable t) {
    if (t == null) {
      return "unknown";
    }
    if (t instanceof java.sql.BatchUpdateException b && b.getNextException() != null) {
      t = b.getNextException();
    }
    return t.toString().replaceAll("(?s)\\s*Detail:.*", "");
  }

  /** Records that a stored replay id had expired, so the gap is visible next to bad events. */
  public void recordGap(String channel, long storedReplayId, long fallback, String error)
      throws SQLException {
    EventOutcome o =
        new EventOutcome(
            channel,
            null,
            java.util.List.of(
                new Decision.Reject(
                    "replay-gap:"
                        + channel
                        + ":"
                        + storedReplayId
                        + ":"
                        + System.currentTimeMillis(),
                    "REPLAY_GAP",
                    "stored replay id "
                        + storedReplayId
                        + " is no longer retained by Salesforce; resumed from "
                        + fallback
                        + " (events published in between may be lost): "
                        + error,
                    null,
                    null,
                    null)));
    write(o);
  }

  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  private interface Statement {
    PreparedStatement prepare(Connection c) throws SQLException;
  }

  private boolean insertOnce(Connection c, Statement sql, Binder binder) throws SQLException {
    Savepoint sp = c.setSavepoint();
    try (PreparedStatement ps = sql.prepare(c)) {
      binder.bind(ps);
      ps.executeUpdate();
      c.releaseSavepoint(sp);
      return true;
    } catch (SQLException e) {
      if (e.getSQLState() != null && e.getSQLState().startsWith("23")) {
        c.rollback(sp);
        return false;
      }
      throw e;
    }
  }

  private static void bindSend(PreparedStatement ps, Decision.Send s, String from, String mg)
      throws SQLException {
    OutboxStore.bind(
        ps,
        new OutboxStore.NewMessage(
            s.idempotencyKey(),
            s.channel(),
            s.recipient(),
            s.body(),
            s.templateName(),
            s.templateVariables(),
            s.crmObject(),
            s.crmRecordId(),
            from,
            mg));
  }

  private static void bindReject(PreparedStatement ps, Decision.Reject j, EventOutcome o)
      throws SQLException {
    ps.setString(1, cut(j.eventKey(), 200));
    ps.setString(2, cut(o.channel(), 200));
    if (o.replayId() == null) {
      ps.setNull(3, Types.BIGINT);
    } else {
      ps.setLong(3, o.replayId());
    }
    ps.setString(4, j.reasonCode());
    ps.setString(5, cut(j.reason(), 1000));
    setText(ps, 6, j.crmObject());
    setText(ps, 7, j.crmRecordId());
    setText(ps, 8, j.payload());
  }

  private void storeReplayId(Connection c, String channel, long replayId) throws SQLException {
    String name = STATE_PREFIX + channel;
    if (postgres) {
      try (PreparedStatement up = c.prepareStatement(UPSERT_STATE_PG)) {
        up.setString(1, name);
        up.setString(2, Long.toString(replayId));
        up.executeUpdate();
        return;
      }
    }
    try (PreparedStatement up = c.prepareStatement(UPDATE_STATE)) {
      up.setString(1, Long.toString(replayId));
      up.setString(2, name);
      if (up.executeUpdate() > 0) {
        return;
      }
    }
    try (PreparedStatement in = c.prepareStatement(INSERT_STATE)) {
      in.setString(1, name);
      in.setString(2, Long.toString(replayId));
      in.executeUpdate();
    }
  }

  private static void setText(PreparedStatement ps, int i, String v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.VARCHAR);
    } else {
      ps.setString(i, v);
    }
  }

  private static String cut(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max);
  }
}
