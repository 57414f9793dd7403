package org.twiliocrm.governance;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.twiliocrm.db.Transactions;

/**
 * Consent by purpose (V70): every consent event kept in {@code consent_event}, the one in force per
 * recipient and purpose in {@code consent_purpose}. Conflicts resolve by the event's own time: an
 * event older than the one in force is kept in the history (applied = false) and changes nothing,
 * so a CRM opt-out that arrives late does not undo a STOP sent after it, and vice versa.
 *
 * <p>The keyword table of governance I ({@code consent}, per sender scope) stays as it is and is
 * still checked: after a STOP, Twilio itself refuses sends from that sender until START (21610),
 * whatever the CRM says.
 */
public final class ConsentLedger {
  public static final String OPTED_IN = "OPTED_IN";
  public static final String OPTED_OUT = "OPTED_OUT";
  public static final String PENDING = "PENDING_CONFIRMATION";
  public static final String REJECTED = "REJECTED";

  /** Sources: a keyword from a phone, a CRM change, an API call. */
  public static final String SOURCE_SMS = "inbound-sms";

  public static final String SOURCE_CRM = "crm";
  public static final String SOURCE_API = "api";

  private final DataSource dataSource;

  public ConsentLedger(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * One consent event.
   *
   * @param recipient the bare E.164 number (a REJECTED event keeps what was received)
   * @param purpose a declared purpose, or {@code *} for all
   * @param evidence what proves it: the keyword message SID, the CRM record and user, the caller
   * @param occurredAt when it happened at its source (the CRM's commit time, Twilio's receipt)
   * @param reason for REJECTED: why it could not be applied
   */
  public record Event(
      String recipient,
      String purpose,
      String status,
      String source,
      String evidence,
      Instant occurredAt,
      String reason) {}

  /** The consent in force for one recipient and purpose. */
  public record State(String status, String source, String evidence, Instant occurredAt) {}

  /** Records an event in its own transaction; returns whether it is now the one in force. */
  public boolean record(Event e) throws SQLException {
    return Transactions.inTransaction(dataSource, c -> record(c, e));
  }

  /** Records an event in the caller's transaction; returns whether it is now the one in force. */
  public static boolean record(Connection c, Event e) throws SQLException {
    return record(c, e, null);
  }

  /**
   * As {@link #record(Connection, Event)}; {@code confirmBy} is the deadline of a PENDING (double
   * opt-in) event.
   */
  static boolean record(Connection c, Event e, Instant confirmBy) throws SQLException {
    boolean applied = false;
    if (!REJECTED.equals(e.status())) {
      State now = current(c, e.recipient(), e.purpose(), true);
      applied = now == null || !e.occurredAt().isBefore(now.occurredAt());
    }
    long id = insertHistory(c, e, applied);
    if (!applied) {
      return false;
    }
    int n;
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE consent_purpose SET status = ?, source = ?, evidence = ?, occurred_at = ?,"
                + " event_id = ?, confirm_by = ? WHERE recipient = ? AND purpose = ?")) {
      ps.setString(1, e.status());
      ps.setString(2, Audit.clip(e.source(), 32));
      ps.setString(3, Audit.clip(e.evidence(), 500));
      ps.setTimestamp(4, Timestamp.from(e.occurredAt()));
      ps.setLong(5, id);
      ps.setTimestamp(6, confirmBy == null ? null : Timestamp.from(confirmBy));
      ps.setString(7, e.recipient());
      ps.setString(8, e.purpose());
      n = ps.executeUpdate();
    }
    if (n == 0) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO consent_purpose (recipient, purpose, status, source, evidence,"
                  + " occurred_at, event_id, confirm_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
        ps.setString(1, e.recipient());
        ps.setString(2, e.purpose());
        ps.setString(3, e.status());
        ps.setString(4, Audit.clip(e.source(), 32));
        ps.setString(5, Audit.clip(e.evidence(), 500));
        ps.setTimestamp(6, Timestamp.from(e.occurredAt()));
        ps.setLong(7, id);
        ps.setTimestamp(8, confirmBy == null ? null : Timestamp.from(confirmBy));
        ps.executeUpdate();
      }
    }
    return true;
  }

  /**
   * Records an event from a source that repeats state rather than reporting a decision (a CRM
   * field, written back by the connector after a STOP and then reported by Change Data Capture):
   * when the consent in force already has the event's status, the event is kept in the history
   * (applied = false, with the reason) and changes nothing, so the source and evidence of the
   * decision that set it stay in force. Otherwise as {@link #record(Connection, Event)}.
   */
  public static boolean recordUnlessUnchanged(Connection c, Event e) throws SQLException {
    if (!REJECTED.equals(e.status())) {
      State now = current(c, e.recipient(), e.purpose(), true);
      if (now != null && now.status().equals(e.status())) {
        insertHistory(
            c,
            new Event(
                e.recipient(),
                e.purpose(),
                e.status(),
                e.source(),
                e.evidence(),
                e.occurredAt(),
                "unchanged: already "
                    + now.status()
                    + " since "
                    + now.occurredAt()
                    + " (source "
                    + now.source()
                    + ")"),
            false);
        return false;
      }
    }
    return record(c, e);
  }

  /** Whether an event with this recipient, source and evidence is already in the history. */
  public static boolean seen(Connection c, String recipient, String source, String evidence)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT 1 FROM consent_event WHERE recipient = ? AND source = ? AND evidence = ?")) {
      ps.setString(1, Audit.clip(recipient, 64));
      ps.setString(2, Audit.clip(source, 32));
      ps.setString(3, Audit.clip(evidence, 500));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /**
   * Whether an event with this recipient, purpose, source and evidence is already in the history
   * (consent_event_recipient_idx narrows it to the recipient and purpose).
   */
  public static boolean seen(
      Connection c, String recipient, String purpose, String source, String evidence)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT 1 FROM consent_event WHERE recipient = ? AND purpose = ? AND source = ? AND"
                + " evidence = ?")) {
      ps.setString(1, Audit.clip(recipient, 64));
      ps.setString(2, Audit.clip(purpose, 32));
      ps.setString(3, Audit.clip(source, 32));
      ps.setString(4, Audit.clip(evidence, 500));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static long insertHistory(Connection c, Event e, boolean applied) throws SQLException {
    long id;
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO consent_event (recipient, purpose, status, source, evidence, reason,"
                + " occurred_at, applied) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            new String[] {"id"})) {
      ps.setString(1, Audit.clip(e.recipient(), 64));
      ps.setString(2, Audit.clip(e.purpose(), 32));
      ps.setString(3, e.status());
      ps.setString(4, Audit.clip(e.source(), 32));
      ps.setString(5, Audit.clip(e.evidence(), 500));
      ps.setString(6, Audit.clip(e.reason(), 1000));
      ps.setTimestamp(7, Timestamp.from(e.occurredAt()));
      ps.setBoolean(8, applied);
      ps.executeUpdate();
      try (ResultSet rs = ps.getGeneratedKeys()) {
        rs.next();
        id = rs.getLong(1);
      }
    }
    return id;
  }

  private static State current(Connection c, String recipient, String purpose, boolean lock)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT status, source, evidence, occurred_at FROM consent_purpose"
                + " WHERE recipient = ? AND purpose = ?"
                + (lock ? " FOR UPDATE" : ""))) {
      ps.setString(1, recipient);
      ps.setString(2, purpose);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next()
            ? new State(
                rs.getString(1), rs.getString(2), rs.getString(3), rs.getTimestamp(4).toInstant())
            : null;
      }
    }
  }

  /**
   * The consent in force for many recipients at once (recipient -> purpose -> state), one query per
   * 500 recipients: the outbox checks a claimed batch in one go.
   */
  public Map<String, Map<String, State>> states(Collection<String> recipients) throws SQLException {
    Map<String, Map<String, State>> out = new HashMap<>();
    List<String> all = new ArrayList<>(recipients);
    try (Connection c = dataSource.getConnection()) {
      for (int from = 0; from < all.size(); from += 500) {
        List<String> chunk = all.subList(from, Math.min(all.size(), from + 500));
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT recipient, purpose, status, source, evidence, occurred_at"
                    + " FROM consent_purpose WHERE recipient IN ("
                    + String.join(",", Collections.nCopies(chunk.size(), "?"))
                    + ")")) {
          for (int i = 0; i < chunk.size(); i++) {
            ps.setString(i + 1, chunk.get(i));
          }
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.computeIfAbsent(rs.getString(1), k -> new HashMap<>())
                  .put(
                      rs.getString(2),
                      new State(
                          rs.getString(3),
                          rs.getString(4),
                          rs.getString(5),
                          rs.getTimestamp(6).toInstant()));
            }
          }
        }
      }
    }
    return out;
  }

  /** The history of one recipient, newest first (for the API and tests). */
  public List<Map<String, Object>> history(String recipient, int limit) throws SQLException {
    List<Map<String, Object>> out = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT id, purpose, status, source, evidence, reason, occurred_at, applied"
                    + " FROM consent_event WHERE recipient = ? ORDER BY occurred_at DESC, id DESC")) {
      ps.setString(1, recipient);
      ps.setMaxRows(Math.max(1, Math.min(limit, 1000)));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Map<String, Object> m = new java.util.LinkedHashMap<>();
          m.put("id", rs.getLong(1));
          m.put("purpose", rs.getString(2));
          m.put("status", rs.getString(3));
          m.put("source", rs.getString(4));
          m.put("evidence", rs.getString(5));
          m.put("reason", rs.getString(6));
          m.put("occurredAt", rs.getTimestamp(7).toInstant().toString());
          m.put("applied", rs.getBoolean(8));
          out.add(m);
        }
      }
    }
    return out;
  }

  /**
   * Double opt-in, first half: records the request (PENDING_CONFIRMATION until {@code confirmBy})
   * in the caller's transaction. The prompt is queued by the caller in the same transaction.
   */
  public static void requestConfirmation(
      Connection c,
      String recipient,
      String purpose,
      String source,
      String evidence,
      Instant at,
      Instant confirmBy)
      throws SQLException {
    record(c, new Event(recipient, purpose, PENDING, source, evidence, at, null), confirmBy);
  }

  /**
   * Double opt-in, second half: the recipient answered with an opt-in keyword. Each purpose
   * awaiting confirmation whose deadline has not passed becomes OPTED_IN with the reply as
   * evidence; one past its deadline is recorded REJECTED (confirmation too late) and stays
   * unconfirmed. Returns the purposes confirmed.
   */
  public static List<String> confirm(Connection c, String recipient, String evidence, Instant at)
      throws SQLException {
    List<Object[]> pending = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT purpose, confirm_by FROM consent_purpose WHERE recipient = ? AND status = ?")) {
      ps.setString(1, recipient);
      ps.setString(2, PENDING);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Timestamp by = rs.getTimestamp(2);
          pending.add(new Object[] {rs.getString(1), by == null ? null : by.toInstant()});
        }
      }
    }
    List<String> confirmed = new ArrayList<>();
    for (Object[] p : pending) {
      String purpose = (String) p[0];
      Instant by = (Instant) p[1];
      if (by == null || !at.isAfter(by)) {
        record(c, new Event(recipient, purpose, OPTED_IN, SOURCE_SMS, evidence, at, null));
        confirmed.add(purpose);
      } else {
        record(
            c,
            new Event(
                recipient,
                purpose,
                REJECTED,
                SOURCE_SMS,
                evidence,
                at,
                "double opt-in confirmed after its deadline " + by));
      }
    }
    return confirmed;
  }
}
