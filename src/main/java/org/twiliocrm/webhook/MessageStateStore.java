package org.twiliocrm.webhook;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.db.Transactions;

/**
 * Owner of {@code message_state}: the connector's own record of every message and call, moved
 * forward by the webhook handlers and drained into Salesforce by the write-back. Every status
 * change goes through {@link MessageStatus#predecessors}: a call's SQL updates only rows whose
 * current status precedes the new one, and a batch of message statuses is decided on the statuses
 * read under a row lock ({@link #lockStatuses}), so late and duplicate callbacks change nothing.
 *
 * <p>Each change bumps {@code crm_version} (and sets {@code crm_dirty_since} once); the write-back
 * sends rows whose version is ahead of {@code crm_synced_version}.
 */
public final class MessageStateStore {
  private static final Logger LOG = LoggerFactory.getLogger(MessageStateStore.class);

  private final DataSource dataSource;
  private final Duration interimDelay;

  public MessageStateStore(DataSource dataSource) {
    this(dataSource, Duration.ZERO);
  }

  /**
   * {@code interimDelay}: how long the write-back leaves a row whose status is still interim
   * ({@link MessageStatus#interim}) for a later status to replace it, so that a message whose final
   * status follows soon is written to the CRM once instead of once per status. Final statuses are
   * due at once.
   */
  public MessageStateStore(DataSource dataSource, Duration interimDelay) {
    this.dataSource = dataSource;
    this.interimDelay = interimDelay;
  }

  // ---------------------------------------------------------------- webhook side (caller's tx)

  public boolean exists(Connection c, String sid) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT 1 FROM message_state WHERE message_sid = ?")) {
      ps.setString(1, sid);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /**
   * The CRM record a stored message is linked to (sid, object, record id; object and record may be
   * null), or empty when there is no row for the SID.
   */
  public Optional<Conversation> link(Connection c, String sid) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT crm_object, crm_record_id FROM message_state WHERE message_sid = ?")) {
      ps.setString(1, sid);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next()
            ? Optional.of(new Conversation(sid, rs.getString(1), rs.getString(2)))
            : Optional.empty();
      }
    }
  }

  /** Moves a call forward to {@code status}, with its AnsweredBy and duration; whether it moved. */
  public boolean moveCall(
      Connection c, String sid, String status, String answeredBy, Integer duration, Timestamp now)
      throws SQLException {
    List<String> preds = predecessors(status);
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE message_state SET status = ?, answered_by = COALESCE(?, answered_by),"
                + " duration_seconds = COALESCE(?, duration_seconds), updated_at = ?,"
                + " crm_version = crm_version + 1, crm_dirty_since = COALESCE(crm_dirty_since, ?)"
                + " WHERE message_sid = ? AND status IN ("
                + marks(preds.size())
                + ")")) {
      int i = 1;
      ps.setString(i++, status);
      ps.setString(i++, answeredBy);
      setInt(ps, i++, duration);
      ps.setTimestamp(i++, now);
      ps.setTimestamp(i++, now);
      ps.setString(i++, sid);
      for (String p : preds) {
        ps.setString(i++, p);
      }
      return ps.executeUpdate() > 0;
    }
  }

  /**
   * Records a call's AnsweredBy and duration when they differ from what is stored, whatever the
   * status: they are facts, not states (AMD's answer often rides on an earlier state that arrives
   * late).
   */
  public void recordCallFacts(
      Connection c, String sid, String answeredBy, Integer duration, Timestamp now)
      throws SQLException {
    if (answeredBy == null && duration == null) {
      return;
    }
    String changed =
        answeredBy != null && duration != null
            ? "(answered_by IS NULL OR answered_by <> ? OR duration_seconds IS NULL OR"
                + " duration_seconds <> ?)"
            : answeredBy != null
                ? "(answered_by IS NULL OR answered_by <> ?)"
                : "(duration_seconds IS NULL OR duration_seconds <> ?)";
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE message_state SET answered_by = COALESCE(?, answered_by), duration_seconds"
                + " = COALESCE(?, duration_seconds), updated_at = ?, crm_version = crm_version +"
                + " 1, crm_dirty_since = COALESCE(crm_dirty_since, ?) WHERE message_sid = ? AND "
                + changed)) {
      int i = 1;
      ps.setString(i++, answeredBy);
      setInt(ps, i++, duration);
      ps.setTimestamp(i++, now);
      ps.setTimestamp(i++, now);
      ps.setString(i++, sid);
      if (answeredBy != null) {
        ps.setString(i++, answeredBy);
      }
      if (duration != null) {
        ps.setInt(i++, duration);
      }
      ps.executeUpdate();
    }
  }

  private static final String INSERT_HEAD =
      "INSERT INTO message_state (message_sid, direction, channel, status, error_code,"
          + " from_number, to_number, messaging_service_sid, account_sid, body, num_segments,"
          + " crm_object, crm_record_id, reply_to_sid, sent_at, delivered_at, created_at,"
          + " updated_at, crm_version, crm_dirty_since) VALUES ";

  private static final String INSERT_ROW =
      "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  /** A message or call seen for the first time, due for the write-back at once. */
  public void insert(Connection c, MessageState s, Timestamp now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(INSERT_HEAD + INSERT_ROW)) {
      bind(ps, 1, new NewRow(s, now, now, 1));
      ps.executeUpdate();
    }
  }

  /**
   * A new row as a batch of status callbacks leaves it: {@code state} as first seen (at {@code
   * createdAt}, also when it became dirty), then moved forward {@code version - 1} times, the last
   * at {@code updatedAt}.
   */
  record NewRow(MessageState state, Timestamp createdAt, Timestamp updatedAt, int version) {}

  /** Most rows per multi-row INSERT (20 parameters each, far below every database's limit). */
  private static final int ROWS_PER_INSERT = 500;

  /**
   * Inserts new rows with one multi-row INSERT per {@value #ROWS_PER_INSERT} (the same SQL on H2,
   * PostgreSQL and MariaDB): one statement for all the messages a batch of callbacks saw first.
   */
  void insertAll(Connection c, List<NewRow> rows) throws SQLException {
    for (int from = 0; from < rows.size(); from += ROWS_PER_INSERT) {
      List<NewRow> chunk = rows.subList(from, Math.min(rows.size(), from + ROWS_PER_INSERT));
      try (PreparedStatement ps =
          c.prepareStatement(
              INSERT_HEAD + String.join(", ", Collections.nCopies(chunk.size(), INSERT_ROW)))) {
        int i = 1;
        for (NewRow r : chunk) {
          i = bind(ps, i, r);
        }
        ps.executeUpdate();
      }
    }
  }

  private static int bind(PreparedStatement ps, int i, NewRow r) throws SQLException {
    MessageState s = r.state();
    ps.setString(i++, s.sid());
    ps.setString(i++, s.direction());
    ps.setString(i++, s.channel());
    ps.setString(i++, s.status());
    setInt(ps, i++, s.errorCode());
    ps.setString(i++, s.from());
    ps.setString(i++, s.to());
    ps.setString(i++, s.messagingServiceSid());
    ps.setString(i++, s.accountSid());
    ps.setString(i++, s.body());
    setInt(ps, i++, s.segments());
    ps.setString(i++, s.crmObject());
    ps.setString(i++, s.crmRecordId());
    ps.setString(i++, s.replyToSid());
    ps.setTimestamp(i++, s.sentAt());
    ps.setTimestamp(i++, s.deliveredAt());
    ps.setTimestamp(i++, r.createdAt());
    ps.setTimestamp(i++, r.updatedAt());
    ps.setInt(i++, r.version());
    ps.setTimestamp(i++, r.createdAt());
    return i;
  }

  /** Most keys per {@code IN (...)} list of the batch reads. */
  static final int KEYS_PER_QUERY = 500;

  /**
   * The current status of each of {@code sids} that has a row, read with a row lock ({@code SELECT
   * ... FOR UPDATE}, in key order so that two transactions lock in the same order): until the
   * caller's transaction ends, no one else moves these messages, so statuses decided in memory from
   * what this returns are applied to the states they were decided on.
   */
  Map<String, String> lockStatuses(Connection c, Collection<String> sids) throws SQLException {
    Map<String, String> out = new HashMap<>();
    List<String> all = new ArrayList<>(new TreeSet<>(sids));
    for (int from = 0; from < all.size(); from += KEYS_PER_QUERY) {
      List<String> chunk = all.subList(from, Math.min(all.size(), from + KEYS_PER_QUERY));
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT message_sid, status FROM message_state WHERE message_sid IN ("
                  + marks(chunk.size())
                  + ") ORDER BY message_sid FOR UPDATE")) {
        int i = 1;
        for (String sid : chunk) {
          ps.setString(i++, sid);
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.put(rs.getString(1), rs.getString(2));
          }
        }
      }
    }
    return out;
  }

  /**
   * What a batch of status callbacks did to an existing row: moved it {@code moves} times from
   * {@code from} (read under lock by {@link #lockStatuses}) to {@code status}; {@code errorCode} is
   * the last error code the moves carried (null: none, the stored one stays), {@code sentAt} and
   * {@code deliveredAt} when a move first reached sent or delivered/read (kept only where the row
   * has none yet), {@code firstAt} and {@code lastAt} the times of the first and last move.
   */
  record Moved(
      String sid,
      String from,
      String status,
      Integer errorCode,
      Timestamp sentAt,
      Timestamp deliveredAt,
      Timestamp firstAt,
      Timestamp lastAt,
      int moves) {}

  /**
   * Applies the moves as one JDBC batch: per row, the same result as its moves applied one UPDATE
   * at a time (status, error code kept unless a move carries one, sent and delivered times set
   * once, one {@code crm_version} per move). Each update also requires the status it was decided
   * from, so even without the lock a decision never overwrites a status that changed meanwhile.
   */
  void moveAll(Connection c, List<Moved> moved) throws SQLException {
    if (moved.isEmpty()) {
      return;
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE message_state SET status = ?, error_code = COALESCE(?, error_code), sent_at ="
                + " COALESCE(sent_at, ?), delivered_at = COALESCE(delivered_at, ?), updated_at ="
                + " ?, crm_version = crm_version + ?, crm_dirty_since = COALESCE(crm_dirty_since,"
                + " ?) WHERE message_sid = ? AND status = ?")) {
      for (Moved m : moved) {
        int i = 1;
        ps.setString(i++, m.status());
        setInt(ps, i++, m.errorCode());
        setTimestamp(ps, i++, m.sentAt());
        setTimestamp(ps, i++, m.deliveredAt());
        ps.setTimestamp(i++, m.lastAt());
        ps.setInt(i++, m.moves());
        ps.setTimestamp(i++, m.firstAt());
        ps.setString(i++, m.sid());
        ps.setString(i++, m.from());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** The conversation an inbound message belongs to: the last outbound message to that number. */
  public record Conversation(String sid, String crmObject, String crmRecordId) {}

  public Optional<Conversation> lastOutboundTo(Connection c, String number) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT message_sid, crm_object, crm_record_id FROM message_state WHERE to_number = ?"
                + " AND direction = 'outbound' ORDER BY created_at DESC LIMIT 1")) {
      ps.setString(1, number);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next()
            ? Optional.of(new Conversation(rs.getString(1), rs.getString(2), rs.getString(3)))
            : Optional.empty();
      }
    }
  }

  // ---------------------------------------------------------------- write-back side

  /** A row whose CRM record is behind: what the write-back maps into the message object. */
  public record Dirty(
      String sid,
      String direction,
      String channel,
      String status,
      Integer errorCode,
      String from,
      String to,
      String body,
      Integer segments,
      Timestamp sentAt,
      Timestamp deliveredAt,
      Timestamp createdAt,
      long crmVersion,
      String crmObject,
      String crmRecordId,
      String accountSid,
      Timestamp dirtySince,
      String answeredBy,
      Integer durationSeconds,
      Timestamp updatedAt,
      Fallback fallback) {}

  /**
   * Where a message stands in a channel fallback chain (docs/outbox.md#channel-fallback), from its
   * outbox row: the SID of the message it falls back from (null when that one was refused at
   * creation and has none), its step (0 = the producer's own row), why the previous step failed,
   * and the chain. {@link #NONE} for messages outside any chain.
   */
  public record Fallback(String parentSid, int step, String reason, String chain) {
    public static final Fallback NONE = new Fallback(null, 0, null, null);
  }

  private static final String DIRTY_COLUMNS =
      "m.message_sid, m.direction, m.channel, m.status, m.error_code, m.from_number,"
          + " m.to_number, m.body, m.num_segments, m.sent_at, m.delivered_at, m.created_at,"
          + " m.crm_version, m.crm_object, m.crm_record_id, m.account_sid, m.crm_dirty_since,"
          + " m.answered_by, m.duration_seconds, m.updated_at";

  /**
   * Due for the write-back. {@code crm_dirty_since} is set whenever {@code crm_version} moves ahead
   * of the synced version and cleared only when it catches up, so the first test only repeats the
   * second: it is there for the index. As a range (IS NOT NULL is not one for H2) it lets the
   * database start reading message_state_dirty_idx past the clean rows, whose NULLs H2 sorts first,
   * instead of walking every row ever written back (19,857 index entries read for 400 rows at
   * 100,000 messages, measured; 401 with the range).
   */
  public static final String DIRTY_RANGE = "crm_dirty_since > TIMESTAMP '1970-01-02 00:00:00'";

  private static final String DUE =
      "m."
          + DIRTY_RANGE
          + " AND m.crm_version >"
          + " m.crm_synced_version AND"
          + " (m.crm_next_attempt_at IS NULL OR"
          + " m.crm_next_attempt_at <= ?) AND (m.crm_lease_until IS NULL OR m.crm_lease_until <"
          + " ?) AND (m.crm_dirty_since <= ? OR m.status NOT IN ("
          + MessageStatus.interim().stream()
              .map(st -> "'" + st + "'")
              .collect(java.util.stream.Collectors.joining(", "))
          + "))";

  /**
   * Binds DUE's three parameters from {@code i}: the time now twice, then the interim cutoff (a row
   * whose status is still interim is due once it has waited {@link #interimDelay}); returns the
   * next index.
   */
  private int bindDue(PreparedStatement ps, int i, Timestamp now) throws SQLException {
    ps.setTimestamp(i++, now);
    ps.setTimestamp(i++, now);
    ps.setTimestamp(i++, Timestamp.from(now.toInstant().minus(interimDelay)));
    return i;
  }

  /**
   * Up to {@code limit} rows the CRM has not seen yet, oldest change first, not backing off and not
   * leased by a replica: a look without a claim, to decide whether a batch is worth sending.
   */
  public List<Dirty> dirty(int limit) throws SQLException {
    Timestamp now = Timestamp.from(Instant.now());
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT "
                    + DIRTY_COLUMNS
                    + fromClause()
                    + " WHERE "
                    + DUE
                    + " ORDER BY m.crm_dirty_since, m.message_sid LIMIT ?")) {
      ps.setInt(bindDue(ps, 1, now), limit);
      try (ResultSet rs = ps.executeQuery()) {
        return readDirty(rs);
      }
    }
  }

  /**
   * Since when a row read by {@link #dirty} has been due: from its first unsent change, or with an
   * interim delay, from when its final status arrived (its last change) or the delay ran out,
   * whichever came first. The write-back's coalescing counts a partial batch's age from here, so
   * final statuses arriving one by one for rows changed long ago still wait to share a call.
   */
  public Instant dueSince(Dirty d) {
    return dueSince(d.dirtySince(), d.status(), d.updatedAt());
  }

  private Instant dueSince(Timestamp dirtySince, String status, Timestamp updatedAt) {
    Instant dirty = dirtySince == null ? Instant.now() : dirtySince.toInstant();
    if (interimDelay.isZero()) {
      return dirty;
    }
    Instant waited = dirty.plus(interimDelay);
    if (MessageStatus.interim().contains(status) || updatedAt == null) {
      return waited;
    }
    Instant changed = updatedAt.toInstant();
    Instant due = changed.isBefore(waited) ? changed : waited;
    return due.isBefore(dirty) ? dirty : due;
  }

  /**
   * {@link #dueSince} of the rows {@link #dirty} would return, read alone: the write-back's look
   * before a claim, which most ticks end with, needs only these, not the records and their joins.
   */
  public List<Instant> dueTimes(int limit) throws SQLException {
    Timestamp now = Timestamp.from(Instant.now());
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT m.crm_dirty_since, m.status, m.updated_at FROM message_state m WHERE "
                    + DUE
                    + " ORDER BY m.crm_dirty_since, m.message_sid LIMIT ?")) {
      ps.setInt(bindDue(ps, 1, now), limit);
      List<Instant> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(dueSince(rs.getTimestamp(1), rs.getString(2), rs.getTimestamp(3)));
        }
      }
      return out;
    }
  }

  /** Candidates read per row a claim may take: spares for rows another replica locks first. */
  static final int CANDIDATES_PER_ROW = 2;

  /** The claim's first step: the first due rows (?3 of them), oldest change first, unlocked. */
  static final String CLAIM_CANDIDATES =
      "SELECT m.message_sid FROM message_state m WHERE "
          + DUE
          + " ORDER BY m.crm_dirty_since, m.message_sid LIMIT ?";

  /** The claim's second step: of n candidates (?1..?n), lock the first still due, by key. */
  static String claimLock(int n) {
    return "SELECT m.message_sid FROM message_state m WHERE m.message_sid IN ("
        + marks(n)
        + ") AND "
        + DUE
        + " ORDER BY m.crm_dirty_since, m.message_sid LIMIT ? FOR UPDATE SKIP LOCKED";
  }

  /**
   * Claims up to {@code limit} of the rows {@link #dirty} would return for {@code owner} until
   * {@code lease} runs out, and returns them as they are now. In one transaction: the first due
   * rows are read from the dirty index without a lock, then those still due are locked ({@code
   * SELECT ... FOR UPDATE SKIP LOCKED} by key, the same SQL on PostgreSQL, MariaDB and H2) and
   * their lease columns set. Two steps because H2 answers a locking select with a LIMIT by reading
   * and testing every row of the table (5 s for 100,000 messages, measured): by key it reads only
   * the candidates. Two replicas never send the same record at once, so neither can overtake the
   * other's newer state; one that finds every candidate locked by another claims nothing this time
   * and looks again on its next tick. {@link #recordSync} and {@link #release} clear the lease.
   * SKIP LOCKED also means the claim never waits for a webhook transaction that holds a row: that
   * row is taken next time.
   */
  public List<Dirty> claimDirty(String owner, int limit, java.time.Duration lease)
      throws SQLException {
    Timestamp now = Timestamp.from(Instant.now());
    List<String> sids = new ArrayList<>();
    try (Connection c = dataSource.getConnection()) {
      Transactions.run(
          c,
          x -> {
            List<String> candidates = new ArrayList<>();
            try (PreparedStatement ps = x.prepareStatement(CLAIM_CANDIDATES)) {
              ps.setInt(bindDue(ps, 1, now), limit * CANDIDATES_PER_ROW);
              try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                  candidates.add(rs.getString(1));
                }
              }
            }
            if (candidates.isEmpty()) {
              return;
            }
            try (PreparedStatement ps = x.prepareStatement(claimLock(candidates.size()))) {
              int i = 1;
              for (String sid : candidates) {
                ps.setString(i++, sid);
              }
              ps.setInt(bindDue(ps, i, now), limit);
              try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                  sids.add(rs.getString(1));
                }
              }
            }
            if (!sids.isEmpty()) {
              try (PreparedStatement ps =
                  x.prepareStatement(
                      "UPDATE message_state SET crm_lease_owner = ?, crm_lease_until = ? WHERE"
                          + " message_sid IN ("
                          + marks(sids.size())
                          + ")")) {
                ps.setString(1, owner);
                ps.setTimestamp(2, Timestamp.from(now.toInstant().plus(lease)));
                int i = 3;
                for (String sid : sids) {
                  ps.setString(i++, sid);
                }
                ps.executeUpdate();
              }
            }
          });
      if (sids.isEmpty()) {
        return List.of();
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT "
                  + DIRTY_COLUMNS
                  + fromClause()
                  + " WHERE m.crm_lease_owner = ? AND m.message_sid IN ("
                  + marks(sids.size())
                  + ") ORDER BY m.crm_dirty_since, m.message_sid")) {
        ps.setString(1, owner);
        int i = 2;
        for (String sid : sids) {
          ps.setString(i++, sid);
        }
        try (ResultSet rs = ps.executeQuery()) {
          return readDirty(rs);
        }
      }
    }
  }

  /** Gives claimed rows back unsent (the call failed as a whole): due again at once. */
  public void release(List<String> sids, String owner) throws SQLException {
    if (sids.isEmpty()) {
      return;
    }
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE message_state SET crm_lease_owner = NULL, crm_lease_until = NULL WHERE"
                    + " crm_lease_owner = ? AND message_sid IN ("
                    + marks(sids.size())
                    + ")")) {
      ps.setString(1, owner);
      int i = 2;
      for (String sid : sids) {
        ps.setString(i++, sid);
      }
      ps.executeUpdate();
    }
  }

  /**
   * The message records, joined to the outbox (when it is there) for the channel fallback chain
   * that the write-back shows on the record: the row that sent this message and the row it fell
   * back from.
   */
  private String fromClause() {
    return withOutbox()
        ? ", p.twilio_sid, o.fallback_step, o.fallback_reason, o.fallback_chain FROM message_state m"
            + " LEFT JOIN outbox_message o ON o.twilio_sid = m.message_sid LEFT JOIN outbox_message"
            + " p ON p.id = o.parent_id"
        : " FROM message_state m";
  }

  private List<Dirty> readDirty(ResultSet rs) throws SQLException {
    List<Dirty> out = new ArrayList<>();
    while (rs.next()) {
      out.add(
          new Dirty(
              rs.getString(1),
              rs.getString(2),
              rs.getString(3),
              rs.getString(4),
              getInt(rs, 5),
              rs.getString(6),
              rs.getString(7),
              rs.getString(8),
              getInt(rs, 9),
              rs.getTimestamp(10),
              rs.getTimestamp(11),
              rs.getTimestamp(12),
              rs.getLong(13),
              rs.getString(14),
              rs.getString(15),
              rs.getString(16),
              rs.getTimestamp(17),
              rs.getString(18),
              getInt(rs, 19),
              rs.getTimestamp(20),
              withOutbox() ? fallback(rs) : Fallback.NONE));
    }
    return out;
  }

  private Boolean outbox;

  /** Whether the outbox table is there to join (a database migrated without it has none). */
  private boolean withOutbox() {
    Boolean o = outbox;
    if (o == null) {
      o = org.twiliocrm.outbound.OutboxStore.present(dataSource);
      outbox = o;
    }
    return o;
  }

  private static Fallback fallback(ResultSet rs) throws SQLException {
    String parent = rs.getString(21);
    int step = rs.getInt(22);
    String reason = rs.getString(23);
    String chain = rs.getString(24);
    return parent == null && step == 0 && chain == null
        ? Fallback.NONE
        : new Fallback(parent, step, reason, chain);
  }

  /** What the write-back learned about one record it sent. */
  public sealed interface SyncResult permits Synced, Retry {
    String sid();
  }

  /** Salesforce has {@code version}; the row is clean unless it moved on meanwhile. */
  public record Synced(String sid, long version) implements SyncResult {}

  /** Send the row again, not before {@code at}. */
  public record Retry(String sid, Instant at, String error) implements SyncResult {}

  /**
   * Applies the results of one write-back call in one transaction, the rows taken in key order, as
   * {@link #lockStatuses} takes a status batch's, so the two wait for each other instead of
   * deadlocking. One durable commit per call instead of one per record: on the embedded database
   * each commit is a store write, and 200 of them per call were what paced the loop's write-back. A
   * status batch that flushed twice in its transaction holds rows out of key order; when the
   * transaction fails for that or any other reason it is rolled back and the same statements run
   * again one row at a time in autocommit, where no lock order matters (each is idempotent: a
   * synced version only moves forward). Clears {@code owner}'s lease; a row another replica took
   * over after this lease ran out is its business now and is left alone.
   */
  public void recordSync(List<SyncResult> results, String owner) throws SQLException {
    if (results.isEmpty()) {
      return;
    }
    List<SyncResult> sorted = new ArrayList<>(results);
    sorted.sort(java.util.Comparator.comparing(SyncResult::sid));
    try (Connection c = dataSource.getConnection()) {
      try {
        Transactions.run(c, x -> applySync(x, sorted, owner));
        return;
      } catch (SQLException e) {
        if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
          throw e; // the connection is gone: one row at a time would fail too
        }
        // SQL state only: a driver's message may quote row data.
        LOG.debug(
            "Write-back results: batch of {} failed (SQL state {}); one row at a time",
            sorted.size(),
            e.getSQLState());
      }
      c.setAutoCommit(true);
      applySync(c, sorted, owner);
    }
  }

  private static void applySync(Connection c, List<SyncResult> results, String owner)
      throws SQLException {
    try (PreparedStatement ok =
            c.prepareStatement(
                "UPDATE message_state SET crm_synced_version = CASE WHEN crm_synced_version"
                    + " < ? THEN ? ELSE crm_synced_version END, crm_attempts = 0,"
                    + " crm_next_attempt_at = NULL, crm_last_error = NULL, crm_dirty_since = CASE"
                    + " WHEN crm_version <= ? THEN NULL ELSE crm_dirty_since END,"
                    + " crm_lease_owner = NULL, crm_lease_until = NULL WHERE message_sid = ? AND"
                    + " (crm_lease_owner IS NULL OR crm_lease_owner = ?)");
        PreparedStatement bad =
            c.prepareStatement(
                "UPDATE message_state SET crm_attempts = crm_attempts + 1, crm_next_attempt_at"
                    + " = ?, crm_last_error = ?, crm_lease_owner = NULL, crm_lease_until = NULL"
                    + " WHERE message_sid = ? AND (crm_lease_owner IS NULL OR crm_lease_owner ="
                    + " ?)")) {
      // One statement per row, in key order (a JDBC batch per kind would take the failed rows
      // out of that order); in a transaction, the cost was the commits, not the statements.
      for (SyncResult r : results) {
        if (r instanceof Synced s) {
          ok.setLong(1, s.version());
          ok.setLong(2, s.version());
          ok.setLong(3, s.version());
          ok.setString(4, s.sid());
          ok.setString(5, owner);
          ok.executeUpdate();
        } else if (r instanceof Retry t) {
          bad.setTimestamp(1, Timestamp.from(t.at()));
          bad.setString(2, t.error());
          bad.setString(3, t.sid());
          bad.setString(4, owner);
          bad.executeUpdate();
        }
      }
    }
  }

  /**
   * Links a message (not a call) that had no CRM record to the one the write-back found by phone;
   * the message record is sent again with the link.
   */
  public void link(String sid, String crmObject, String crmRecordId) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE message_state SET crm_object = ?, crm_record_id = ?, crm_version ="
                    + " crm_version + 1, crm_dirty_since = COALESCE(crm_dirty_since, ?) WHERE"
                    + " message_sid = ? AND crm_record_id IS NULL AND"
                    + " direction <> 'call'")) {
      ps.setString(1, crmObject);
      ps.setString(2, crmRecordId);
      ps.setTimestamp(3, Timestamp.from(Instant.now()));
      ps.setString(4, sid);
      ps.executeUpdate();
    }
  }

  /** Rows the CRM has not caught up with (read through the dirty index, see DUE). */
  public long behind() throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT COUNT(*) FROM message_state WHERE "
                    + DIRTY_RANGE
                    + " AND crm_version > crm_synced_version");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  // ---------------------------------------------------------------- helpers

  /** An empty IN list is not SQL: a status nothing precedes gets a value no row has. */
  static List<String> predecessors(String to) {
    List<String> preds = MessageStatus.predecessors(to);
    return preds.isEmpty() ? List.of("-") : preds;
  }

  static String marks(int n) {
    return String.join(", ", Collections.nCopies(Math.max(1, n), "?"));
  }

  static void setTimestamp(PreparedStatement ps, int i, Timestamp v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.TIMESTAMP);
    } else {
      ps.setTimestamp(i, v);
    }
  }

  static void setInt(PreparedStatement ps, int i, Integer v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.INTEGER);
    } else {
      ps.setInt(i, v);
    }
  }

  private static Integer getInt(ResultSet rs, int i) throws SQLException {
    int v = rs.getInt(i);
    return rs.wasNull() ? null : v;
  }
}
