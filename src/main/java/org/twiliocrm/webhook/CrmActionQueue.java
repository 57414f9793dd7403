package org.twiliocrm.webhook;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import javax.sql.DataSource;
import org.twiliocrm.db.Transactions;

/**
 * Owner of {@code crm_action}: what webhooks ask of the CRM, queued by the handlers in the
 * transaction that applied the webhook, and drained by the write-back.
 */
public final class CrmActionQueue {
  /** After this many failed attempts an action is parked as FAILED. */
  static final int MAX_ATTEMPTS = 10;

  private final DataSource dataSource;

  public CrmActionQueue(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * Queues an action in the caller's transaction unless one of the same kind is already queued (in
   * any state) for the same message: an inbound message applied a second time, after H2 lost part
   * of the transaction that first applied it, must not ask the CRM for a second Task. Whether it
   * queued one.
   */
  public boolean addOnce(Connection c, CrmAction a, Timestamp now) throws SQLException {
    if (a.sid() != null && exists(c, a.kind(), a.sid())) {
      return false;
    }
    add(c, a, now);
    return true;
  }

  /** Whether an action of this kind was ever queued for the message (crm_action_message_idx). */
  static boolean exists(Connection c, String kind, String messageSid) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT 1 FROM crm_action WHERE message_sid = ? AND kind = ?")) {
      ps.setString(1, messageSid);
      ps.setString(2, kind);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** Queues an action in the caller's transaction. */
  public void add(Connection c, CrmAction a, Timestamp now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO crm_action (kind, message_sid, phone, crm_object, crm_record_id, detail,"
                + " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, a.kind());
      ps.setString(2, a.sid());
      ps.setString(3, a.phone());
      ps.setString(4, a.crmObject());
      ps.setString(5, a.crmRecordId());
      ps.setString(6, a.detail());
      ps.setTimestamp(7, now);
      ps.executeUpdate();
    }
  }

  /**
   * Claims up to {@code limit} PENDING actions of the given kinds that are due and not leased by
   * another replica, oldest first, for {@code owner} until {@code lease} runs out: {@code SELECT
   * ... FOR UPDATE SKIP LOCKED} and the lease columns set in one transaction (the same SQL on
   * PostgreSQL, MariaDB and H2), so two replicas never take the same action. {@link #record},
   * {@link #finish} and {@link #release} clear the lease; a claimer that dies leaves it to expire.
   * Each claim is counted: an action claimed before comes back {@link CrmAction#retried}, since
   * that earlier claim may have reached the CRM without its result being recorded.
   */
  public List<CrmAction> claim(
      List<String> kinds, int limit, String owner, java.time.Duration lease) throws SQLException {
    Timestamp now = Timestamp.from(Instant.now());
    List<Long> ids = new ArrayList<>();
    try (Connection c = dataSource.getConnection()) {
      Transactions.run(
          c,
          x -> {
            try (PreparedStatement ps =
                x.prepareStatement(
                    "SELECT id FROM crm_action WHERE state = 'PENDING' AND kind IN ("
                        + String.join(", ", Collections.nCopies(kinds.size(), "?"))
                        + ") AND (next_attempt_at IS NULL OR next_attempt_at <= ?) AND (lease_until"
                        + " IS NULL OR lease_until < ?) ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED")) {
              int i = 1;
              for (String k : kinds) {
                ps.setString(i++, k);
              }
              ps.setTimestamp(i++, now);
              ps.setTimestamp(i++, now);
              ps.setInt(i, limit);
              try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                  ids.add(rs.getLong(1));
                }
              }
            }
            if (!ids.isEmpty()) {
              try (PreparedStatement ps =
                  x.prepareStatement(
                      "UPDATE crm_action SET lease_owner = ?, lease_until = ?, claims = claims + 1"
                          + " WHERE id IN ("
                          + String.join(", ", Collections.nCopies(ids.size(), "?"))
                          + ")")) {
                ps.setString(1, owner);
                ps.setTimestamp(2, Timestamp.from(now.toInstant().plus(lease)));
                int i = 3;
                for (long id : ids) {
                  ps.setLong(i++, id);
                }
                ps.executeUpdate();
              }
            }
          });
      if (ids.isEmpty()) {
        return List.of();
      }
      List<CrmAction> out = new ArrayList<>(ids.size());
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT id, kind, message_sid, phone, crm_object, crm_record_id, detail, claims"
                  + " FROM crm_action WHERE lease_owner = ? AND id IN ("
                  + String.join(", ", Collections.nCopies(ids.size(), "?"))
                  + ") ORDER BY id")) {
        ps.setString(1, owner);
        int i = 2;
        for (long id : ids) {
          ps.setLong(i++, id);
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(
                new CrmAction(
                    rs.getLong(1),
                    rs.getString(2),
                    rs.getString(3),
                    rs.getString(4),
                    rs.getString(5),
                    rs.getString(6),
                    rs.getString(7),
                    rs.getInt(8) > 1));
          }
        }
      }
      return out;
    }
  }

  /** Gives claimed actions back unsent (the call failed as a whole): due again at once. */
  public void release(List<Long> ids, String owner) throws SQLException {
    if (ids.isEmpty()) {
      return;
    }
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE crm_action SET lease_owner = NULL, lease_until = NULL WHERE lease_owner ="
                    + " ? AND id IN ("
                    + String.join(", ", Collections.nCopies(ids.size(), "?"))
                    + ")")) {
      ps.setString(1, owner);
      int i = 2;
      for (long id : ids) {
        ps.setLong(i++, id);
      }
      ps.executeUpdate();
    }
  }

  /** Records the CRM record an action was linked to after the fact (a look-up by phone). */
  public void link(long id, String crmObject, String crmRecordId) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE crm_action SET crm_object = ?, crm_record_id = ? WHERE id = ?")) {
      ps.setString(1, crmObject);
      ps.setString(2, crmRecordId);
      ps.setLong(3, id);
      ps.executeUpdate();
    }
  }

  /** Finishes an action without sending it (nothing to link it to, superseded), with the reason. */
  public void finish(long id, String note) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE crm_action SET state = 'DONE', last_error = ?, lease_owner = NULL,"
                    + " lease_until = NULL WHERE id = ?")) {
      ps.setString(1, note);
      ps.setLong(2, id);
      ps.executeUpdate();
    }
  }

  /**
   * The results of one call: {@code done} ids are finished, each {@code failed} one retries after
   * {@code retryAt}, up to {@value #MAX_ATTEMPTS} attempts.
   */
  public void record(List<Long> done, List<Failed> failed, Instant retryAt) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ok =
            c.prepareStatement(
                "UPDATE crm_action SET state = 'DONE', last_error = NULL, lease_owner = NULL,"
                    + " lease_until = NULL WHERE id = ?");
        PreparedStatement bad =
            c.prepareStatement(
                "UPDATE crm_action SET attempts = attempts + 1, next_attempt_at = ?, last_error ="
                    + " ?, lease_owner = NULL, lease_until = NULL, state = CASE WHEN attempts >= "
                    + (MAX_ATTEMPTS - 1)
                    + " THEN 'FAILED' ELSE state END WHERE id = ?")) {
      for (long id : done) {
        ok.setLong(1, id);
        ok.addBatch();
      }
      for (Failed f : failed) {
        bad.setTimestamp(1, Timestamp.from(retryAt));
        bad.setString(2, f.error());
        bad.setLong(3, f.id());
        bad.addBatch();
      }
      ok.executeBatch();
      bad.executeBatch();
    }
  }

  public record Failed(long id, String error) {}

  /** Actions not yet sent. */
  public long pendingCount() throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT COUNT(*) FROM crm_action WHERE state = 'PENDING'");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
