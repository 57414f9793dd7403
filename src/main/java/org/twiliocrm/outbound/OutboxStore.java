package org.twiliocrm.outbound;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.twiliocrm.config.ConnectorConfig.Vendor;
import org.twiliocrm.db.Transactions;
import org.twiliocrm.governance.Channel;

/**
 * The outbox's SQL, per database. Claiming is one statement with a lease (PostgreSQL: UPDATE ...
 * WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING; H2: the same UPDATE inside SELECT ...
 * FROM FINAL TABLE; MariaDB 10.11, which has no UPDATE ... RETURNING: SELECT ... FOR UPDATE SKIP
 * LOCKED, UPDATE and re-read in one short transaction). Concurrent claimers therefore get disjoint
 * rows, and a lease that runs out makes a row claimable again.
 *
 * <p>Times come from the database clock (now()), never from the JVMs, so instances on different
 * hosts agree on when a lease ends and when send_after passes.
 */
public final class OutboxStore {
  static final String COLUMNS =
      "id, idempotency_key, channel, recipient, sender, messaging_service_sid, body, template_name,"
          + " template_variables, content_sid, content_variables, media_urls, status, attempts,"
          + " lease_owner, created_at, updated_at, locale, campaign, requested_by, crm_object,"
          + " approval_id, hold_digest, fallback_chain, pace_slot_us, purpose";

  private static final String DUE =
      "((status IN ('PENDING', 'RETRY', 'RECONCILE')"
          + " AND (next_attempt_at IS NULL OR next_attempt_at <= %1$s)"
          + " AND (send_after IS NULL OR send_after <= %1$s))"
          + " OR (status IN ('SENDING', 'RECONCILING') AND lease_until < %1$s))";

  /**
   * A fresh or retried row is claimed for SENDING; a row whose earlier send may have reached Twilio
   * (RECONCILE, or a lease that ran out while SENDING/RECONCILING) is claimed for RECONCILING, so
   * it is looked up before any resend. attempts is assigned first: MariaDB evaluates SET left to
   * right and would otherwise see the new status.
   */
  private static final String SET =
      "attempts = attempts + CASE WHEN status IN ('PENDING', 'RETRY') THEN 1 ELSE 0 END,"
          + " status = CASE WHEN status IN ('PENDING', 'RETRY') THEN 'SENDING'"
          + " ELSE 'RECONCILING' END,"
          + " lease_owner = ?, lease_until = %2$s, updated_at = %1$s";

  private final DataSource dataSource;
  private final Vendor vendor;
  private final String claimSql;
  private final String h2Candidates;
  private final String h2Lock;

  public OutboxStore(DataSource dataSource, Vendor vendor) {
    this.dataSource = dataSource;
    this.vendor = vendor;
    this.claimSql = claimSql(vendor);
    this.h2Candidates = h2CandidatesSql(vendor);
    this.h2Lock = h2ClaimSelect(vendor);
  }

  public Vendor vendor() {
    return vendor;
  }

  static String now(Vendor v) {
    return switch (v) {
      case POSTGRESQL -> "now()";
      case H2 -> "CURRENT_TIMESTAMP";
      case MARIADB -> "NOW(6)";
    };
  }

  /** now() plus a number of milliseconds given as the next JDBC parameter. */
  static String nowPlusMillis(Vendor v) {
    return switch (v) {
      case POSTGRESQL -> "now() + (CAST(? AS BIGINT) * INTERVAL '1 millisecond')";
      case H2 -> "DATEADD(MILLISECOND, CAST(? AS BIGINT), CURRENT_TIMESTAMP)";
      case MARIADB -> "DATE_ADD(NOW(6), INTERVAL ? * 1000 MICROSECOND)";
    };
  }

  static String claimSql(Vendor v) {
    String due = String.format(DUE, now(v));
    String set = String.format(SET, now(v), nowPlusMillis(v));
    return switch (v) {
      case POSTGRESQL ->
          "UPDATE outbox_message SET "
              + set
              + " WHERE id IN (SELECT id FROM outbox_message WHERE "
              + due
              + " ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING "
              + COLUMNS;
      case H2 ->
          // H2 answers "due ORDER BY id LIMIT n" by walking the primary key from the first id and
          // testing every row, so each claim read every row already sent (the claim's cost grew
          // with the table: docs/performance.md). claimH2 therefore reads candidate ids from the
          // (status, id) index (h2CandidatesSql), locks the first n still due (h2ClaimSelect,
          // SKIP LOCKED) and updates those by id, in one transaction. Nested in this UPDATE, the
          // locking select (or a candidates subquery) was run again for every row H2 updated or
          // re-checked. Indexed parameters: ?1 owner, ?2 lease, ?3 the locked ids.
          "SELECT "
              + COLUMNS
              + " FROM FINAL TABLE (UPDATE outbox_message SET "
              + set.replace("lease_owner = ?", "lease_owner = ?1").replace("CAST(? ", "CAST(?2 ")
              + " WHERE id = ANY(?3))";
      case MARIADB ->
          "SELECT id FROM outbox_message WHERE "
              + due
              + " ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED";
    };
  }

  /** H2: candidate ids read per row a claim takes (see claimH2). */
  static final int H2_CANDIDATES_PER_ROW = 4;

  /** H2: the ids the claim takes and locks (?2 of them) among the candidate ids ?1. */
  static String h2ClaimSelect(Vendor v) {
    return "SELECT id FROM outbox_message WHERE id = ANY(?1) AND "
        + String.format(DUE, now(v))
        + " ORDER BY id LIMIT ?2 FOR UPDATE SKIP LOCKED";
  }

  /**
   * H2: the first ?1 due ids, found per status in the (status, id) index (at most ?1 of each, in id
   * order) instead of along the whole primary key.
   */
  static String h2CandidatesSql(Vendor v) {
    return "SELECT id FROM (" + h2Candidates(v) + ") c ORDER BY id LIMIT ?1";
  }

  /** H2: the due rows of each status, the first ?1 of each in id order, from the claim index. */
  private static String h2Candidates(Vendor v) {
    String waiting =
        String.format(
            " AND (next_attempt_at IS NULL OR next_attempt_at <= %1$s)"
                + " AND (send_after IS NULL OR send_after <= %1$s)",
            now(v));
    String expired = String.format(" AND lease_until < %s", now(v));
    List<String> branches = new ArrayList<>();
    for (String status : List.of("PENDING", "RETRY", "RECONCILE")) {
      branches.add(h2Branch(status, waiting));
    }
    for (String status : List.of("SENDING", "RECONCILING")) {
      branches.add(h2Branch(status, expired));
    }
    return String.join(" UNION ALL ", branches);
  }

  private static String h2Branch(String status, String condition) {
    // ORDER BY status, id: with the status fixed, H2 then reads the index in order and stops.
    return "(SELECT id FROM outbox_message WHERE status = '"
        + status
        + "'"
        + condition
        + " ORDER BY status, id LIMIT ?1)";
  }

  /** Claims up to {@code limit} due rows for {@code owner} until the lease runs out. */
  public List<OutboxRow> claim(String owner, int limit, long leaseMillis) throws SQLException {
    if (limit <= 0) {
      return List.of();
    }
    try (Connection c = dataSource.getConnection()) {
      if (vendor == Vendor.MARIADB) {
        return claimMariaDb(c, owner, limit, leaseMillis);
      }
      if (vendor == Vendor.H2) {
        return claimH2(c, owner, limit, leaseMillis);
      }
      try (PreparedStatement ps = c.prepareStatement(claimSql)) {
        ps.setString(1, owner);
        ps.setLong(2, leaseMillis);
        ps.setInt(3, limit);
        try (ResultSet rs = ps.executeQuery()) {
          return read(rs);
        }
      }
    }
  }

  private List<OutboxRow> claimH2(Connection c, String owner, int limit, long leaseMillis)
      throws SQLException {
    return Transactions.inTransaction(
        c,
        x -> {
          // More candidates than the claim takes: the first due rows may be locked by a claim
          // still in progress (another thread, or another connector on the same database), and
          // SKIP LOCKED must then find the next ones instead of coming back empty.
          List<Long> ids = ids(x, h2Candidates, limit * H2_CANDIDATES_PER_ROW);
          List<Long> locked = ids.isEmpty() ? List.of() : ids(x, h2Lock, ids, limit);
          if (locked.isEmpty()) {
            return List.of();
          }
          try (PreparedStatement ps = x.prepareStatement(claimSql)) {
            ps.setString(1, owner);
            ps.setLong(2, leaseMillis);
            ps.setArray(3, x.createArrayOf("BIGINT", locked.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
              return read(rs);
            }
          }
        });
  }

  /** The ids a statement returns; its parameters: the candidate ids (if any), then the limit. */
  private static List<Long> ids(Connection c, String sql, Object... params) throws SQLException {
    List<Long> ids = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        if (params[i] instanceof List<?> list) {
          ps.setArray(i + 1, c.createArrayOf("BIGINT", list.toArray()));
        } else {
          ps.setObject(i + 1, params[i]);
        }
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getLong(1));
        }
      }
    }
    return ids;
  }

  private List<OutboxRow> claimMariaDb(Connection c, String owner, int limit, long leaseMillis)
      throws SQLException {
    return Transactions.inTransaction(
        c,
        x -> {
          List<Long> ids = new ArrayList<>(limit);
          try (PreparedStatement ps = x.prepareStatement(claimSql)) {
            ps.setInt(1, limit);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                ids.add(rs.getLong(1));
              }
            }
          }
          if (ids.isEmpty()) {
            return List.of();
          }
          String in = "(" + String.join(",", ids.stream().map(String::valueOf).toList()) + ")";
          try (PreparedStatement ps =
              x.prepareStatement(
                  "UPDATE outbox_message SET "
                      + String.format(SET, now(Vendor.MARIADB), nowPlusMillis(Vendor.MARIADB))
                      + " WHERE id IN "
                      + in)) {
            ps.setString(1, owner);
            ps.setLong(2, leaseMillis);
            ps.executeUpdate();
          }
          try (PreparedStatement ps =
                  x.prepareStatement(
                      "SELECT "
                          + COLUMNS
                          + " FROM outbox_message WHERE id IN "
                          + in
                          + " ORDER BY id");
              ResultSet rs = ps.executeQuery()) {
            return read(rs);
          }
        });
  }

  private static List<OutboxRow> read(ResultSet rs) throws SQLException {
    List<OutboxRow> rows = new ArrayList<>();
    while (rs.next()) {
      rows.add(
          new OutboxRow(
              rs.getLong("id"),
              rs.getString("idempotency_key"),
              Channel.of(rs.getString("channel")),
              rs.getString("recipient"),
              rs.getString("sender"),
              rs.getString("messaging_service_sid"),
              rs.getString("body"),
              rs.getString("template_name"),
              rs.getString("template_variables"),
              rs.getString("content_sid"),
              rs.getString("content_variables"),
              rs.getString("media_urls"),
              rs.getString("status"),
              rs.getInt("attempts"),
              rs.getString("lease_owner"),
              instant(rs.getTimestamp("created_at")),
              instant(rs.getTimestamp("updated_at")),
              rs.getString("locale"),
              gov(rs),
              rs.getString("fallback_chain"),
              paceSlot(rs)));
    }
    rows.sort((a, b) -> Long.compare(a.id(), b.id()));
    return rows;
  }

  private static Long paceSlot(ResultSet rs) throws SQLException {
    long v = rs.getLong("pace_slot_us");
    return rs.wasNull() ? null : v;
  }

  private static OutboxRow.Gov gov(ResultSet rs) throws SQLException {
    long approval = rs.getLong("approval_id");
    Long approvalId = rs.wasNull() ? null : approval;
    String campaign = rs.getString("campaign");
    String requestedBy = rs.getString("requested_by");
    String crmObject = rs.getString("crm_object");
    String digest = rs.getString("hold_digest");
    String purpose = rs.getString("purpose");
    if (approvalId == null
        && campaign == null
        && requestedBy == null
        && crmObject == null
        && purpose == null) {
      return OutboxRow.Gov.NONE;
    }
    return new OutboxRow.Gov(campaign, requestedBy, crmObject, approvalId, digest, purpose);
  }

  private static Instant instant(Timestamp t) {
    return t == null ? null : t.toInstant();
  }

  /**
   * After a clean stop (every in-flight send finished), the rows this instance still holds go to
   * RECONCILE with their leases cleared, so another replica settles them at once instead of after
   * the lease. Reconciliation asks Twilio before sending, so a send whose result was never written
   * is not sent twice. Not called when the stop timed out. Returns the rows.
   */
  public int releaseUnsent(String owner) throws SQLException {
    String sql =
        "UPDATE outbox_message SET status = 'RECONCILE', lease_owner = NULL, lease_until ="
            + " NULL, updated_at = "
            + now(vendor)
            + " WHERE status IN ('SENDING', 'RECONCILING') AND lease_owner = ?";
    try (Connection c = dataSource.getConnection();
        PreparedStatement p = c.prepareStatement(sql)) {
      p.setString(1, owner);
      return p.executeUpdate();
    }
  }

  /** A result to write: the row, the lease it was claimed under, what became of it. */
  public record Result(OutboxRow row, int attempts, Outcome outcome, List<Attempt> log) {}

  /**
   * Writes many results in one transaction. A row's state is written only while this instance still
   * holds its lease (lease_owner matches): a row taken over after an expired lease belongs to the
   * new owner, who reconciles it. Returns how many rows were updated.
   */
  public int record(List<Result> results, String owner) throws SQLException {
    String finalSql =
        "UPDATE outbox_message SET status = ?, twilio_sid = COALESCE(?, twilio_sid),"
            + " twilio_status = COALESCE(?, twilio_status), num_segments = COALESCE(?,"
            + " num_segments), error_code = ?, reason_code = ?, reason = ?, attempts = ?,"
            + " next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL,"
            + " sent_at = CASE WHEN ? = 'SENT' THEN COALESCE(?, "
            + now(vendor)
            + ") ELSE sent_at END, updated_at = "
            + now(vendor)
            + " WHERE id = ? AND lease_owner = ?";
    String laterSql =
        "UPDATE outbox_message SET status = ?, error_code = ?, reason_code = ?, reason = ?,"
            + " attempts = ?, next_attempt_at = "
            + nowPlusMillis(vendor)
            + ", lease_owner = NULL, lease_until = NULL, updated_at = "
            + now(vendor)
            + " WHERE id = ? AND lease_owner = ?";
    String attemptSql =
        "INSERT INTO outbox_attempt (message_id, attempt, kind, outcome, twilio_sid, http_status,"
            + " error_code, detail, instance, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    return Transactions.inTransaction(
        dataSource,
        c -> {
          try (PreparedStatement fin = c.prepareStatement(finalSql);
              PreparedStatement later = c.prepareStatement(laterSql);
              PreparedStatement att = c.prepareStatement(attemptSql)) {
            int finals = 0;
            int laters = 0;
            int attempts = 0;
            for (Result r : results) {
              Outcome o = r.outcome();
              if (o.isFinal()) {
                fin.setString(1, o.status());
                fin.setString(2, o.twilioSid());
                fin.setString(3, o.twilioStatus());
                setInt(fin, 4, o.numSegments());
                setInt(fin, 5, o.errorCode());
                fin.setString(6, o.reasonCode());
                fin.setString(7, OutboxWork.clip(o.reason()));
                fin.setInt(8, r.attempts());
                fin.setString(9, o.status());
                // Twilio's own creation time when known (reconciliation), else the time of writing.
                fin.setTimestamp(10, o.sentAt() == null ? null : Timestamp.from(o.sentAt()));
                fin.setLong(11, r.row().id());
                fin.setString(12, owner);
                fin.addBatch();
                finals++;
              } else {
                later.setString(1, o.status());
                setInt(later, 2, o.errorCode());
                later.setString(3, o.reasonCode());
                later.setString(4, OutboxWork.clip(o.reason()));
                later.setInt(5, r.attempts());
                later.setLong(6, o.delayMillis());
                later.setLong(7, r.row().id());
                later.setString(8, owner);
                later.addBatch();
                laters++;
              }
              for (Attempt a : r.log()) {
                att.setLong(1, a.messageId());
                att.setInt(2, a.attempt());
                att.setString(3, a.kind());
                att.setString(4, a.outcome());
                att.setString(5, a.twilioSid());
                setInt(att, 6, a.httpStatus());
                setInt(att, 7, a.errorCode());
                att.setString(8, a.detail());
                att.setString(9, owner);
                att.setInt(10, a.durationMs());
                att.addBatch();
                attempts++;
              }
            }
            int updated = 0;
            if (finals > 0) {
              updated += sum(fin.executeBatch());
            }
            if (laters > 0) {
              updated += sum(later.executeBatch());
            }
            if (attempts > 0) {
              att.executeBatch();
            }
            return updated;
          }
        });
  }

  private static int sum(int[] counts) {
    int n = 0;
    for (int c : counts) {
      // SUCCESS_NO_INFO (-2) from drivers that batch-rewrite: count it as one.
      n += c == PreparedStatement.SUCCESS_NO_INFO ? 1 : Math.max(0, c);
    }
    return n;
  }

  private static void setInt(PreparedStatement ps, int i, Integer v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.INTEGER);
    } else {
      ps.setInt(i, v);
    }
  }

  // ---------------------------------------------------------------- for the other flows
  // The outbox table's one owner: the webhook flow and the CRM events flow read and write
  // outbox_message only through the methods below, in their own transactions.

  /** Whether the outbox table exists (a database migrated without the outbox has none). */
  public static boolean present(DataSource ds) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT 1 FROM outbox_message WHERE 1 = 0")) {
      ps.executeQuery().close();
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  /** What a Twilio SID's outbox row tells the webhook flow: its CRM record, body and segments. */
  public record Sent(
      String twilioSid, String crmObject, String crmRecordId, String body, Integer segments) {}

  /** The outbox row Twilio gave {@code twilioSid} to, if any. */
  public static java.util.Optional<Sent> bySid(Connection c, String twilioSid) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT twilio_sid, crm_object, crm_record_id, body, num_segments FROM outbox_message"
                + " WHERE twilio_sid = ?")) {
      ps.setString(1, twilioSid);
      return first(ps);
    }
  }

  /** The newest outbox row to {@code recipient} that names a CRM record, if any. */
  public static java.util.Optional<Sent> lastLinkedTo(Connection c, String recipient)
      throws SQLException {
    return newestTo(c, recipient, "crm_record_id IS NOT NULL");
  }

  /**
   * The newest outbox row to {@code recipient} that Twilio accepted (it has a SID), linked to a
   * record or not: the message a reply most likely answers, known here before its first status
   * callback is.
   */
  public static java.util.Optional<Sent> lastSentTo(Connection c, String recipient)
      throws SQLException {
    return newestTo(c, recipient, "twilio_sid IS NOT NULL");
  }

  /** The newest row to {@code recipient} that meets {@code condition} (a constant SQL text). */
  private static java.util.Optional<Sent> newestTo(Connection c, String recipient, String condition)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT twilio_sid, crm_object, crm_record_id, body, num_segments FROM outbox_message"
                + " WHERE recipient = ? AND "
                + condition
                + " ORDER BY id DESC LIMIT 1")) {
      ps.setString(1, recipient);
      return first(ps);
    }
  }

  private static java.util.Optional<Sent> first(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        return java.util.Optional.empty();
      }
      int n = rs.getInt(5);
      Integer segments = rs.wasNull() ? null : n;
      return java.util.Optional.of(
          new Sent(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), segments));
    }
  }

  /**
   * Moves the row's Twilio status forward: only from no status or one of {@code predecessors} (the
   * webhook flow's forward-only rule), keeping an earlier error code when none comes. A non-null
   * {@code answeredBy} is recorded whatever the status does.
   */
  public static void applyTwilioStatus(
      Connection c,
      String twilioSid,
      String status,
      List<String> predecessors,
      Integer errorCode,
      String answeredBy,
      Timestamp now)
      throws SQLException {
    List<String> preds = predecessors.isEmpty() ? List.of("-") : predecessors;
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE outbox_message SET twilio_status = ?, error_code = COALESCE(?, error_code),"
                + " updated_at = ? WHERE twilio_sid = ? AND (twilio_status IS NULL OR"
                + " twilio_status IN ("
                + String.join(", ", java.util.Collections.nCopies(preds.size(), "?"))
                + "))")) {
      int i = 1;
      ps.setString(i++, status);
      if (errorCode == null) {
        ps.setNull(i++, Types.INTEGER);
      } else {
        ps.setInt(i++, errorCode);
      }
      ps.setTimestamp(i++, now);
      ps.setString(i++, twilioSid);
      for (String p : preds) {
        ps.setString(i++, p);
      }
      ps.executeUpdate();
    }
    if (answeredBy != null) {
      try (PreparedStatement ps =
          c.prepareStatement("UPDATE outbox_message SET answered_by = ? WHERE twilio_sid = ?")) {
        ps.setString(1, answeredBy);
        ps.setString(2, twilioSid);
        ps.executeUpdate();
      }
    }
  }

  /**
   * An outbox row as the webhook flow reads it for a batch of status callbacks: its id, Twilio SID
   * and status, and what {@link Sent} tells.
   */
  public record Tracked(long id, String twilioStatus, Sent sent) {}

  /**
   * The outbox rows of {@code twilioSids} (at most a few hundred), read with a row lock ({@code
   * SELECT ... FOR UPDATE}, in id order) so that the caller can decide their Twilio status in
   * memory and write it with {@link #applyTwilioStatuses} in the same transaction.
   */
  public static List<Tracked> lockBySids(Connection c, java.util.Collection<String> twilioSids)
      throws SQLException {
    List<Tracked> out = new ArrayList<>();
    if (twilioSids.isEmpty()) {
      return out;
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT id, twilio_sid, twilio_status, crm_object, crm_record_id, body, num_segments"
                + " FROM outbox_message WHERE twilio_sid IN ("
                + String.join(", ", java.util.Collections.nCopies(twilioSids.size(), "?"))
                + ") ORDER BY id FOR UPDATE")) {
      int i = 1;
      for (String sid : twilioSids) {
        ps.setString(i++, sid);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          int n = rs.getInt(7);
          Integer segments = rs.wasNull() ? null : n;
          out.add(
              new Tracked(
                  rs.getLong(1),
                  rs.getString(3),
                  new Sent(
                      rs.getString(2),
                      rs.getString(4),
                      rs.getString(5),
                      rs.getString(6),
                      segments)));
        }
      }
    }
    return out;
  }

  /**
   * A row's Twilio status as a batch of callbacks leaves it: moved from {@code from} (as {@link
   * #lockBySids} read it; null: none) to {@code status}, with the last error code the moves carried
   * (null: the stored one stays), the last move at {@code at}.
   */
  public record StatusMove(long id, String from, String status, Integer errorCode, Timestamp at) {}

  /**
   * Writes the moves as one JDBC batch: for each row, what {@link #applyTwilioStatus} would have
   * left after each of its callbacks in turn. Each update requires the status it was decided from.
   */
  public static void applyTwilioStatuses(Connection c, List<StatusMove> moves) throws SQLException {
    if (moves.isEmpty()) {
      return;
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE outbox_message SET twilio_status = ?, error_code = COALESCE(?, error_code),"
                + " updated_at = ? WHERE id = ? AND COALESCE(twilio_status, '') = ?")) {
      for (StatusMove m : moves) {
        ps.setString(1, m.status());
        if (m.errorCode() == null) {
          ps.setNull(2, Types.INTEGER);
        } else {
          ps.setInt(2, m.errorCode());
        }
        ps.setTimestamp(3, m.at());
        ps.setLong(4, m.id());
        ps.setString(5, m.from() == null ? "" : m.from());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** The text of an outbox row, by id when given, else by Twilio SID; null when there is none. */
  public static String body(DataSource ds, Long id, String twilioSid) throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                id != null
                    ? "SELECT body FROM outbox_message WHERE id = ?"
                    : "SELECT body FROM outbox_message WHERE twilio_sid = ?")) {
      if (id != null) {
        ps.setLong(1, id);
      } else {
        ps.setString(1, twilioSid);
      }
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  /** A row another flow queues for sending (the CRM events flow). */
  public record NewMessage(
      String idempotencyKey,
      String channel,
      String recipient,
      String body,
      String templateName,
      String templateVariables,
      String crmObject,
      String crmRecordId,
      String sender,
      String messagingServiceSid) {}

  /**
   * The insert for {@link NewMessage}s; with {@code ignoreDuplicates} (PostgreSQL only) a row whose
   * idempotency key exists is skipped in the same round trip instead of failing.
   */
  public static PreparedStatement prepareInsert(Connection c, boolean ignoreDuplicates)
      throws SQLException {
    return c.prepareStatement(
        "INSERT INTO outbox_message (idempotency_key, channel, recipient, body, template_name,"
            + " template_variables, crm_object, crm_record_id, sender, messaging_service_sid)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            + (ignoreDuplicates ? " ON CONFLICT (idempotency_key) DO NOTHING" : ""));
  }

  /** Binds one {@link NewMessage} to a statement from {@link #prepareInsert}. */
  public static void bind(PreparedStatement ps, NewMessage m) throws SQLException {
    String[] v = {
      m.idempotencyKey(),
      m.channel(),
      m.recipient(),
      m.body(),
      m.templateName(),
      m.templateVariables(),
      m.crmObject(),
      m.crmRecordId(),
      m.sender(),
      m.messagingServiceSid()
    };
    for (int i = 0; i < v.length; i++) {
      if (v[i] == null) {
        ps.setNull(i + 1, Types.VARCHAR);
      } else {
        ps.setString(i + 1, v[i]);
      }
    }
  }
}
