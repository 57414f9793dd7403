package org.twiliocrm.crm.approvals;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.twiliocrm.config.ConnectorConfig.Vendor;
import org.twiliocrm.governance.Audit;

/**
 * What the Salesforce side of governance reads and marks in the database (bean {@code
 * governanceSalesforceStore}): approval requests whose state in the org is behind ({@code
 * approval_request.crm_synced}), audit rows not yet in the org ({@code governance_audit_crm}, as
 * the audit table itself is never updated), and pending requests the sweep asks the org about.
 */
public final class ApprovalStore {
  /** A request to write: its id, the state to record once written, whether to write its status. */
  public record ToWrite(long id, String state, boolean writeStatus, String note) {}

  private final DataSource dataSource;
  private final Vendor vendor;

  public ApprovalStore(DataSource dataSource, Vendor vendor) {
    this.dataSource = dataSource;
    this.vendor = vendor;
  }

  /** The state the org should show: status and row count ("PENDING:500"). */
  static String state(String status, int rowCount) {
    return status + ":" + rowCount;
  }

  /**
   * Requests whose record in the org is missing or behind, oldest first. The status field is
   * written on the first write (Pending), once the connector decided (API approval, expiry), and
   * after it refused a decision taken in the org (four eyes) — never while a request stays pending,
   * so a row-count update cannot overwrite an approver's choice.
   */
  List<ToWrite> toWrite(int limit) throws SQLException {
    List<ToWrite> out = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT id, status, row_count, crm_synced, crm_note FROM approval_request"
                    + " WHERE crm_synced IS NULL OR crm_synced <> CONCAT(status, ':', row_count)"
                    + " ORDER BY id LIMIT "
                    + limit)) {
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String status = rs.getString("status");
          String synced = rs.getString("crm_synced");
          out.add(
              new ToWrite(
                  rs.getLong("id"),
                  state(status, rs.getInt("row_count")),
                  synced == null || !"PENDING".equals(status),
                  rs.getString("crm_note")));
        }
      }
    }
    return out;
  }

  /** Records that the org shows {@code state} (a later change makes the request due again). */
  void written(long id, String state) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement("UPDATE approval_request SET crm_synced = ? WHERE id = ?")) {
      ps.setString(1, state);
      ps.setLong(2, id);
      ps.executeUpdate();
    }
  }

  /**
   * A decision taken in the org was refused: the record is written again with status Pending and
   * the note, so the approver sees why and another approver can decide.
   */
  void refused(long id, String note) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE approval_request SET crm_synced = NULL, crm_note = ?"
                    + " WHERE id = ? AND status = 'PENDING'")) {
      ps.setString(1, note.length() <= 1000 ? note : note.substring(0, 1000));
      ps.setLong(2, id);
      ps.executeUpdate();
    }
  }

  /** Pending requests already in the org (the sweep's question), oldest first. */
  List<Long> pendingInOrg(int limit) throws SQLException {
    List<Long> out = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT id FROM approval_request WHERE status = 'PENDING'"
                    + " AND crm_synced IS NOT NULL ORDER BY id LIMIT "
                    + limit)) {
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getLong(1));
        }
      }
    }
    return out;
  }

  /** The template version sends of {@code templateName} use now (its last approved one). */
  Optional<String> approvedVersion(String templateName) throws SQLException {
    if (templateName == null) {
      return Optional.empty();
    }
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT version FROM template_version WHERE template_name = ?"
                    + " AND state = 'APPROVED' ORDER BY decided_at DESC LIMIT 1")) {
      ps.setString(1, templateName);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    }
  }

  /** Audit rows not yet written to the org, oldest first. */
  List<Audit.Entry> auditToWrite(int limit) throws SQLException {
    List<Audit.Entry> out = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT a.id, a.occurred_at, a.actor, a.action, a.subject_type, a.subject_id,"
                    + " a.before_state, a.after_state, a.detail FROM governance_audit a"
                    + " LEFT JOIN governance_audit_crm s ON s.audit_id = a.id"
                    + " WHERE s.audit_id IS NULL ORDER BY a.id LIMIT "
                    + limit)) {
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(Audit.Entry.read(rs));
        }
      }
    }
    return out;
  }

  /** Marks audit rows as written; a row another replica marked first is left as it is. */
  void auditWritten(List<Long> ids) throws SQLException {
    if (ids.isEmpty()) {
      return;
    }
    String sql =
        switch (vendor) {
          case POSTGRESQL ->
              "INSERT INTO governance_audit_crm (audit_id) VALUES (?) ON CONFLICT DO NOTHING";
          case MARIADB -> "INSERT IGNORE INTO governance_audit_crm (audit_id) VALUES (?)";
          case H2 -> "MERGE INTO governance_audit_crm (audit_id) KEY (audit_id) VALUES (?)";
        };
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (long id : ids) {
        ps.setLong(1, id);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }
}
