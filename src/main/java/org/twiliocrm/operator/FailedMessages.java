package org.twiliocrm.operator;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.twiliocrm.db.Transactions;
import org.twiliocrm.governance.Audit;
import org.twiliocrm.outbound.OutcomeClassifier;

/**
 * What {@code /api/failed} reads and does: FAILED outbox rows grouped by why they failed, the rows
 * of one group, and a retry of chosen rows.
 *
 * <p>A retry puts a row back to PENDING with a fresh attempt budget, only when its failure was
 * transient (nothing was created at Twilio: {@link OutcomeClassifier#TRANSIENT_FAILURES}) and it is
 * not a Verify row: a verification code is only useful for minutes, and resending one hours later
 * would send a stale code. The check is part of the UPDATE's WHERE clause, so a row another
 * operator retried a moment earlier is refused rather than sent twice. Each retried row is audited
 * (governance_audit, action RETRY) in the same transaction.
 */
public final class FailedMessages {
  /** Bean name the API looks up. */
  public static final String BEAN = "failedMessages";

  public static final String AUDIT_ACTION = "RETRY";
  static final int MAX_RETRY = 500;

  private final DataSource dataSource;
  private final Clock clock;

  public FailedMessages(DataSource dataSource, Clock clock) {
    this.dataSource = dataSource;
    this.clock = clock;
  }

  /** FAILED rows by reason code and error code, largest group first. */
  public List<Map<String, Object>> groups() throws SQLException {
    List<Map<String, Object>> rows =
        MessageQueries.query(
            dataSource,
            "SELECT reason_code, error_code, COUNT(*) AS n, MAX(updated_at) AS latest,"
                + " SUM(CASE WHEN channel = 'verify' THEN 1 ELSE 0 END) AS verify"
                + " FROM outbox_message WHERE status = 'FAILED'"
                + " GROUP BY reason_code, error_code ORDER BY n DESC, reason_code, error_code",
            List.of());
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map<String, Object> r : rows) {
      String reason = (String) r.get("reason_code");
      Integer code = r.get("error_code") == null ? null : ((Number) r.get("error_code")).intValue();
      Map<String, Object> g = new LinkedHashMap<>();
      g.put("reasonCode", reason);
      g.put("errorCode", code);
      g.put("meaning", code == null ? null : OutcomeClassifier.meaning(code).orElse(null));
      g.put("count", ((Number) r.get("n")).longValue());
      g.put("verify", ((Number) r.get("verify")).longValue());
      g.put("latest", r.get("latest"));
      g.put("retryable", retryable(reason));
      out.add(g);
    }
    return out;
  }

  /** The newest FAILED rows with this reason code (and error code, when given). */
  public List<Map<String, Object>> rows(
      String reasonCode, Integer errorCode, int limit, boolean mask) throws SQLException {
    StringBuilder sql =
        new StringBuilder(
            "SELECT id, channel, recipient, reason_code, error_code, reason, attempts, campaign,"
                + " updated_at FROM outbox_message WHERE status = 'FAILED'");
    List<Object> params = new ArrayList<>();
    if (reasonCode == null) {
      sql.append(" AND reason_code IS NULL");
    } else {
      sql.append(" AND reason_code = ?");
      params.add(reasonCode);
    }
    if (errorCode != null) {
      sql.append(" AND error_code = ?");
      params.add(errorCode);
    }
    sql.append(" ORDER BY id DESC LIMIT ?");
    params.add(limit);
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map<String, Object> r : MessageQueries.query(dataSource, sql.toString(), params)) {
      r.put(
          "retryable",
          retryable((String) r.get("reason_code")) && !"verify".equals(r.get("channel")));
      out.add(MessageQueries.masked(r, mask, "recipient"));
    }
    return out;
  }

  static boolean retryable(String reasonCode) {
    return reasonCode != null && OutcomeClassifier.TRANSIENT_FAILURES.contains(reasonCode);
  }

  /** The outcome of a retry: the rows put back to PENDING and the ones refused, with why. */
  public record Retry(List<Long> retried, List<Map<String, Object>> refused) {}

  /** Puts the chosen rows back to PENDING where allowed; audited as {@code actor}. */
  public Retry retry(List<Long> ids, String actor, String comment) throws SQLException {
    Set<Long> unique = new LinkedHashSet<>(ids);
    if (unique.isEmpty() || unique.size() > MAX_RETRY) {
      throw new MessageQueries.BadFilter("'ids' must list 1 to " + MAX_RETRY + " outbox row ids");
    }
    List<Long> retried = new ArrayList<>();
    List<Map<String, Object>> refused = new ArrayList<>();
    Timestamp now = Timestamp.from(clock.instant());
    Transactions.run(
        dataSource,
        c -> {
          try (PreparedStatement read =
                  c.prepareStatement(
                      "SELECT status, channel, reason_code, error_code, attempts FROM outbox_message"
                          + " WHERE id = ?");
              PreparedStatement update =
                  c.prepareStatement(
                      "UPDATE outbox_message SET status = 'PENDING', attempts = 0,"
                          + " next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL,"
                          + " reason_code = NULL, reason = NULL, error_code = NULL, updated_at = ?"
                          + " WHERE id = ? AND status = 'FAILED' AND channel <> 'verify'"
                          + " AND reason_code IN ("
                          + String.join(
                              ", ",
                              java.util.Collections.nCopies(
                                  OutcomeClassifier.TRANSIENT_FAILURES.size(), "?"))
                          + ")")) {
            for (long id : unique) {
              read.setLong(1, id);
              String status;
              String channel;
              String reason;
              Object code;
              int attempts;
              try (ResultSet rs = read.executeQuery()) {
                if (!rs.next()) {
                  refused.add(refusal(id, "no such outbox row"));
                  continue;
                }
                status = rs.getString(1);
                channel = rs.getString(2);
                reason = rs.getString(3);
                code = rs.getObject(4);
                attempts = rs.getInt(5);
              }
              if (!"FAILED".equals(status)) {
                refused.add(refusal(id, "the row is " + status + ", not FAILED"));
                continue;
              }
              if ("verify".equals(channel)) {
                refused.add(refusal(id, "Verify rows are never retried: the code would be stale"));
                continue;
              }
              if (!retryable(reason)) {
                refused.add(
                    refusal(
                        id,
                        "the failure ("
                            + reason
                            + ") is not transient; sending again would fail the same way or could"
                            + " send twice"));
                continue;
              }
              int i = 1;
              update.setTimestamp(i++, now);
              update.setLong(i++, id);
              for (String t : OutcomeClassifier.TRANSIENT_FAILURES) {
                update.setString(i++, t);
              }
              if (update.executeUpdate() == 0) {
                refused.add(refusal(id, "the row changed meanwhile; nothing was done"));
                continue;
              }
              Audit.append(
                  c,
                  Audit.Entry.of(
                      actor,
                      AUDIT_ACTION,
                      "outbox_message",
                      String.valueOf(id),
                      "FAILED "
                          + reason
                          + (code == null ? "" : " " + code)
                          + " after "
                          + attempts
                          + " attempt(s)",
                      "PENDING",
                      comment));
              retried.add(id);
            }
          }
        });
    return new Retry(retried, refused);
  }

  private static Map<String, Object> refusal(long id, String why) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", id);
    m.put("reason", why);
    return m;
  }
}
