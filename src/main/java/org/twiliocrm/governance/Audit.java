package org.twiliocrm.governance;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * The governance audit trail: every governance decision appended to {@code governance_audit}, never
 * updated or deleted (the table refuses UPDATE and DELETE by trigger on all three databases).
 *
 * <p>Public API (the {@code /api/audit} endpoint is built on it):
 *
 * <ul>
 *   <li>{@link #append(Entry)} / {@link #append(Connection, Entry)}: writes one entry, on its own
 *       or inside the caller's transaction (a decision and its audit entry commit together).
 *   <li>{@link #query(Filter)}: entries newest first, filtered by actor, action, subject and time.
 * </ul>
 *
 * <p>Actions written by this package (see {@link Action}): POLICY_LOADED, POLICY_REJECTED, HOLD,
 * APPROVED, REJECTED, EXPIRED, RELEASED, REHOLD. The subject is {@code (subjectType, subjectId)},
 * e.g. {@code ("approval_request", "42")} or {@code ("policy", "governance/policies.yaml")}.
 * Before/after are short text states (a status, or a hash for a policy file).
 */
public final class Audit {
  /** The actor for decisions the connector makes itself (holds, expiries, policy loads). */
  public static final String CONNECTOR = "connector";

  /**
   * Actions this package appends; other packages may append their own (e.g. template approvals).
   */
  public static final class Action {
    public static final String POLICY_LOADED = "POLICY_LOADED";
    public static final String POLICY_REJECTED = "POLICY_REJECTED";
    public static final String HOLD = "HOLD";
    public static final String REHOLD = "REHOLD";
    public static final String APPROVED = "APPROVED";
    public static final String REJECTED = "REJECTED";
    public static final String EXPIRED = "EXPIRED";

    private Action() {}
  }

  /**
   * One audit entry.
   *
   * @param id assigned by the database (null when appending)
   * @param at when it was written (database clock; null when appending)
   * @param actor who decided: a user name, an API identity, or {@link #CONNECTOR}
   * @param action what happened, e.g. {@link Action#APPROVED}
   * @param subjectType what it happened to: approval_request, policy, outbox_message, template
   * @param subjectId which one
   * @param before the subject's state before (null when new)
   * @param after the subject's state after
   * @param detail free text: a comment, a rule, a file hash, an error
   */
  public record Entry(
      Long id,
      Instant at,
      String actor,
      String action,
      String subjectType,
      String subjectId,
      String before,
      String after,
      String detail) {
    public static Entry of(
        String actor,
        String action,
        String subjectType,
        String subjectId,
        String before,
        String after,
        String detail) {
      return new Entry(null, null, actor, action, subjectType, subjectId, before, after, detail);
    }

    /**
     * The entry at the result set's current row, read by column name: any select of {@code
     * governance_audit}'s id, occurred_at, actor, action, subject_type, subject_id, before_state,
     * after_state and detail (the trail's own query and the Salesforce sync's).
     */
    public static Entry read(ResultSet rs) throws SQLException {
      Timestamp t = rs.getTimestamp("occurred_at");
      return new Entry(
          rs.getLong("id"),
          t == null ? null : t.toInstant(),
          rs.getString("actor"),
          rs.getString("action"),
          rs.getString("subject_type"),
          rs.getString("subject_id"),
          rs.getString("before_state"),
          rs.getString("after_state"),
          rs.getString("detail"));
    }
  }

  /**
   * What {@link #query} returns; null fields match anything.
   *
   * @param since entries at or after this time
   * @param until entries before this time
   * @param limit most entries returned (1..1000; others mean 100)
   */
  public record Filter(
      String actor,
      String action,
      String subjectType,
      String subjectId,
      Instant since,
      Instant until,
      int limit) {
    public static Filter all() {
      return new Filter(null, null, null, null, null, null, 100);
    }

    public Filter subject(String type, String id) {
      return new Filter(actor, action, type, id, since, until, limit);
    }

    public Filter action(String a) {
      return new Filter(actor, a, subjectType, subjectId, since, until, limit);
    }
  }

  private final DataSource dataSource;

  public Audit(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Appends one entry in its own transaction. */
  public void append(Entry e) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      append(c, e);
    }
  }

  /** Appends one entry on the caller's connection (and so in the caller's transaction). */
  public static void append(Connection c, Entry e) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO governance_audit (actor, action, subject_type, subject_id, before_state,"
                + " after_state, detail) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, clip(e.actor(), 200));
      ps.setString(2, clip(e.action(), 40));
      ps.setString(3, clip(e.subjectType(), 40));
      ps.setString(4, clip(e.subjectId(), 200));
      ps.setString(5, clip(e.before(), 4000));
      ps.setString(6, clip(e.after(), 4000));
      ps.setString(7, clip(e.detail(), 4000));
      ps.executeUpdate();
    }
  }

  /** Entries matching {@code f}, newest first. */
  public List<Entry> query(Filter f) throws SQLException {
    StringBuilder sql =
        new StringBuilder(
            "SELECT id, occurred_at, actor, action, subject_type, subject_id, before_state,"
                + " after_state, detail FROM governance_audit WHERE 1 = 1");
    List<Object> args = new ArrayList<>();
    and(sql, args, "actor = ?", f.actor());
    and(sql, args, "action = ?", f.action());
    and(sql, args, "subject_type = ?", f.subjectType());
    and(sql, args, "subject_id = ?", f.subjectId());
    and(sql, args, "occurred_at >= ?", f.since() == null ? null : Timestamp.from(f.since()));
    and(sql, args, "occurred_at < ?", f.until() == null ? null : Timestamp.from(f.until()));
    int limit = f.limit() >= 1 && f.limit() <= 1000 ? f.limit() : 100;
    sql.append(" ORDER BY id DESC LIMIT ").append(limit);
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql.toString())) {
      for (int i = 0; i < args.size(); i++) {
        ps.setObject(i + 1, args.get(i));
      }
      List<Entry> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(Entry.read(rs));
        }
      }
      return out;
    }
  }

  /** A filter's condition: added with its value unless the value is null (matches anything). */
  private static void and(StringBuilder sql, List<Object> args, String condition, Object value) {
    if (value != null) {
      sql.append(" AND ").append(condition);
      args.add(value);
    }
  }

  public static String clip(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max - 3) + "...";
  }
}
