package org.twiliocrm.governance;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.twiliocrm.config.ConnectorConfig.Vendor;
import org.twiliocrm.db.Transactions;

/**
 * The approval requests the policy gate opens, and the decisions on them. This is the Java API the
 * operator endpoints ({@code /api/approvals}) and the Salesforce loop are built on.
 *
 * <ul>
 *   <li>{@link #list(Filter)}: requests, newest first, by status/rule/campaign.
 *   <li>{@link #show(long)}: one request with its rendered sample ({@link ApprovalRequest#sample}).
 *   <li>{@link #approve(long, String, String)}: releases the held rows; they are sent within the
 *       claim loop's next pass (immediately on PostgreSQL: a NOTIFY wakes every replica).
 *   <li>{@link #reject(long, String, String)}: the held rows end FAILED with reason code
 *       REJECTED_BY_APPROVER.
 *   <li>{@link #expireDue()}: requests past their expiry end EXPIRED, their rows FAILED with
 *       APPROVAL_EXPIRED (the connector calls it periodically; idempotent, safe on every replica).
 * </ul>
 *
 * <p>A decision returns a {@link Decision} whose {@link Result} maps one to one onto HTTP: DONE
 * 200, NOT_FOUND 404, ALREADY_DECIDED 409 (also when the request expired), FOUR_EYES_VIOLATION 403
 * (the actor is one of the identities that caused the hold; rejecting is allowed). A decision
 * changes nothing unless it is DONE. Each decision and its audit entry ({@link Audit}) commit in
 * one transaction; the request row is locked while deciding, so two approvers racing get one DONE
 * and one ALREADY_DECIDED, and a hold racing an approval either joins the request before it is
 * decided (and is released with it) or opens a new one.
 */
public final class Approvals {
  /** Subject type of approval requests in the audit trail. */
  public static final String SUBJECT = "approval_request";

  /** The outcome of a decision. */
  public enum Result {
    DONE,
    NOT_FOUND,
    ALREADY_DECIDED,
    FOUR_EYES_VIOLATION
  }

  /**
   * @param result what happened
   * @param request the request as it is after the call (null for NOT_FOUND)
   * @param rows rows released (approve) or failed (reject) by this decision
   */
  public record Decision(Result result, ApprovalRequest request, int rows) {}

  /** What {@link #list} returns; null fields match anything; limit 1..1000, else 100. */
  public record Filter(String status, String rule, String campaign, int limit) {
    public static Filter pending() {
      return new Filter("PENDING", null, null, 100);
    }

    public static Filter all() {
      return new Filter(null, null, null, 100);
    }
  }

  static final String COLUMNS =
      "id, rule_name, campaign, status, reason, row_count, template_name, channel, countries,"
          + " sample, requested_by, policy_hash, created_at, expires_at, decided_at, decided_by,"
          + " decision_comment";

  private final DataSource dataSource;
  private final Vendor vendor;
  private final List<Runnable> onRelease = new CopyOnWriteArrayList<>();

  public Approvals(DataSource dataSource, Vendor vendor) {
    this.dataSource = dataSource;
    this.vendor = vendor;
  }

  /** Called after rows were released (the local claimer wakes at once). */
  public void onRelease(Runnable r) {
    onRelease.add(r);
  }

  public List<ApprovalRequest> list(Filter f) throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM approval_request WHERE 1=1");
    List<String> args = new ArrayList<>();
    if (f.status() != null) {
      sql.append(" AND status = ?");
      args.add(f.status());
    }
    if (f.rule() != null) {
      sql.append(" AND rule_name = ?");
      args.add(f.rule());
    }
    if (f.campaign() != null) {
      sql.append(" AND campaign = ?");
      args.add(f.campaign());
    }
    int limit = f.limit() >= 1 && f.limit() <= 1000 ? f.limit() : 100;
    sql.append(" ORDER BY id DESC LIMIT ").append(limit);
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql.toString())) {
      for (int i = 0; i < args.size(); i++) {
        ps.setString(i + 1, args.get(i));
      }
      List<ApprovalRequest> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(read(rs));
        }
      }
      return out;
    }
  }

  public Optional<ApprovalRequest> show(long id) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      return find(c, id, false);
    }
  }

  /** Approves as {@code actor}: the held rows go back to the queue and are sent. */
  public Decision approve(long id, String actor, String comment) throws SQLException {
    return decide(id, actor, List.of(), comment, true);
  }

  /**
   * Approves as {@code actor}, who is also known by {@code otherIdentities} (a Salesforce user's
   * name, username and id): four eyes refuses the approval when any of them caused the hold.
   */
  public Decision approve(
      long id, String actor, java.util.Collection<String> otherIdentities, String comment)
      throws SQLException {
    return decide(id, actor, otherIdentities, comment, true);
  }

  /** Rejects as {@code actor}: the held rows end FAILED, REJECTED_BY_APPROVER. */
  public Decision reject(long id, String actor, String comment) throws SQLException {
    return decide(id, actor, List.of(), comment, false);
  }

  private Decision decide(
      long id,
      String actor,
      java.util.Collection<String> otherIdentities,
      String comment,
      boolean approve)
      throws SQLException {
    if (actor == null || actor.isBlank()) {
      throw new IllegalArgumentException("a decision needs a named actor");
    }
    Decision decision;
    try (Connection c = dataSource.getConnection()) {
      decision =
          Transactions.inTransactionThen(
              c,
              x -> {
                Optional<ApprovalRequest> found = find(x, id, true);
                if (found.isEmpty()) {
                  x.rollback();
                  return () -> new Decision(Result.NOT_FOUND, null, 0);
                }
                ApprovalRequest r = found.get();
                if (!r.pending() || expired(x, id)) {
                  x.rollback();
                  return () -> new Decision(Result.ALREADY_DECIDED, r, 0);
                }
                if (approve
                    && (r.requestedBy().contains(actor.trim())
                        || otherIdentities.stream()
                            .anyMatch(i -> i != null && r.requestedBy().contains(i.trim())))) {
                  x.rollback();
                  return () -> new Decision(Result.FOUR_EYES_VIOLATION, r, 0);
                }
                String status = approve ? "APPROVED" : "REJECTED";
                closeRequest(x, id, status, actor.trim(), comment);
                int rows =
                    approve
                        ? release(x, id)
                        : failRows(
                            x,
                            id,
                            "REJECTED_BY_APPROVER",
                            "rejected by " + actor.trim() + note(comment));
                Audit.append(
                    x,
                    Audit.Entry.of(
                        actor.trim(),
                        approve ? Audit.Action.APPROVED : Audit.Action.REJECTED,
                        SUBJECT,
                        String.valueOf(id),
                        "PENDING",
                        status,
                        (approve ? "released " : "failed ")
                            + rows
                            + " row(s); rule "
                            + r.rule()
                            + note(comment)));
                if (approve && vendor == Vendor.POSTGRESQL) {
                  // Every replica's claimer listens: the released rows are claimed at once, not at
                  // the
                  // next poll.
                  try (PreparedStatement ps =
                      x.prepareStatement("SELECT pg_notify('outbox_message', '')")) {
                    ps.executeQuery().close();
                  }
                }
                return () -> new Decision(Result.DONE, find(x, id, false).orElse(r), rows);
              });
    }
    if (approve && decision.result() == Result.DONE) {
      onRelease.forEach(Runnable::run);
    }
    return decision;
  }

  /** Ends every pending request past its expiry; returns how many. */
  public int expireDue() throws SQLException {
    List<Long> due = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT id FROM approval_request WHERE status = 'PENDING' AND expires_at < "
                    + now())) {
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          due.add(rs.getLong(1));
        }
      }
    }
    int n = 0;
    for (long id : due) {
      boolean closed =
          Transactions.inTransaction(
              dataSource,
              c -> {
                Optional<ApprovalRequest> r = find(c, id, true);
                if (r.isPresent() && r.get().pending()) {
                  closeRequest(c, id, "EXPIRED", Audit.CONNECTOR, null);
                  int rows =
                      failRows(
                          c, id, "APPROVAL_EXPIRED", "no decision before " + r.get().expiresAt());
                  Audit.append(
                      c,
                      Audit.Entry.of(
                          Audit.CONNECTOR,
                          Audit.Action.EXPIRED,
                          SUBJECT,
                          String.valueOf(id),
                          "PENDING",
                          "EXPIRED",
                          "failed " + rows + " row(s); expired at " + r.get().expiresAt()));
                  return true;
                }
                return false;
              });
      if (closed) {
        n++;
      }
    }
    return n;
  }

  private boolean expired(Connection c, long id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT 1 FROM approval_request WHERE id = ? AND expires_at < " + now())) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private void closeRequest(Connection c, long id, String status, String actor, String comment)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE approval_request SET status = ?, open_key = NULL, decided_at = "
                + now()
                + ", decided_by = ?, decision_comment = ? WHERE id = ? AND status = 'PENDING'")) {
      ps.setString(1, status);
      ps.setString(2, Audit.clip(actor, 200));
      ps.setString(3, Audit.clip(comment, 2000));
      ps.setLong(4, id);
      ps.executeUpdate();
    }
  }

  /** Held rows back to the status they were held from; the gate lets them pass on re-claim. */
  private int release(Connection c, long id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE outbox_message SET status = COALESCE(held_from, 'PENDING'), reason_code = NULL,"
                + " reason = NULL, next_attempt_at = NULL, updated_at = "
                + now()
                + " WHERE approval_id = ? AND status = 'HELD'")) {
      ps.setLong(1, id);
      return ps.executeUpdate();
    }
  }

  private int failRows(Connection c, long id, String code, String reason) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE outbox_message SET status = 'FAILED', reason_code = ?, reason = ?,"
                + " updated_at = "
                + now()
                + " WHERE approval_id = ? AND status = 'HELD'")) {
      ps.setString(1, code);
      ps.setString(2, Audit.clip(reason, 1000));
      ps.setLong(3, id);
      return ps.executeUpdate();
    }
  }

  public static Optional<ApprovalRequest> find(Connection c, long id, boolean lock)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT "
                + COLUMNS
                + " FROM approval_request WHERE id = ?"
                + (lock ? " FOR UPDATE" : ""))) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(read(rs)) : Optional.empty();
      }
    }
  }

  /**
   * Drops the bulk rules' tally (outbox_bulk_tally, V98) for the minutes no outbox row lives in any
   * more: older than the oldest row (retention purged them), and than a day. Every key's count in
   * such a minute is zero, so no sum the gate reads changes. Returns the entries removed.
   */
  public int pruneBulkTally() throws SQLException {
    String sql =
        switch (vendor) {
          case POSTGRESQL ->
              "DELETE FROM outbox_bulk_tally WHERE bucket <= (SELECT MIN(created_at) FROM"
                  + " outbox_message) - INTERVAL '1 minute' AND bucket < now() - INTERVAL '1 day'";
          case H2 ->
              "DELETE FROM outbox_bulk_tally WHERE bucket <= DATEADD(MINUTE, -1, (SELECT"
                  + " MIN(created_at) FROM outbox_message)) AND bucket < DATEADD(DAY, -1,"
                  + " CURRENT_TIMESTAMP)";
          case MARIADB ->
              "DELETE FROM outbox_bulk_tally WHERE bucket <= (SELECT MIN(created_at) FROM"
                  + " outbox_message) - INTERVAL 1 MINUTE AND bucket < NOW(6) - INTERVAL 1 DAY";
        };
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      return ps.executeUpdate();
    }
  }

  private String now() {
    return switch (vendor) {
      case POSTGRESQL -> "now()";
      case H2 -> "CURRENT_TIMESTAMP";
      case MARIADB -> "NOW(6)";
    };
  }

  private static String note(String comment) {
    return comment == null || comment.isBlank() ? "" : ": " + comment.trim();
  }

  public static List<String> split(String s) {
    return s == null || s.isBlank() ? List.of() : List.copyOf(Arrays.asList(s.split(",")));
  }

  static ApprovalRequest read(ResultSet rs) throws SQLException {
    return new ApprovalRequest(
        rs.getLong("id"),
        rs.getString("rule_name"),
        rs.getString("campaign"),
        rs.getString("status"),
        rs.getString("reason"),
        rs.getInt("row_count"),
        rs.getString("template_name"),
        rs.getString("channel"),
        split(rs.getString("countries")),
        rs.getString("sample"),
        split(rs.getString("requested_by")),
        rs.getString("policy_hash"),
        instant(rs.getTimestamp("created_at")),
        instant(rs.getTimestamp("expires_at")),
        instant(rs.getTimestamp("decided_at")),
        rs.getString("decided_by"),
        rs.getString("decision_comment"));
  }

  private static Instant instant(Timestamp t) {
    return t == null ? null : t.toInstant();
  }
}
