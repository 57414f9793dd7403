package org.twiliocrm.governance;

import java.sql.Connection;
import java.sql.SQLException;
import org.h2.api.Trigger;

/**
 * H2's half of "governance_audit is append-only" (PostgreSQL and MariaDB use a trigger written in
 * SQL, see V45__governance_holds.sql): H2 triggers are Java classes, so this one refuses every
 * UPDATE and DELETE on the table.
 */
public final class AuditAppendOnlyTrigger implements Trigger {
  @Override
  public void fire(Connection conn, Object[] oldRow, Object[] newRow) throws SQLException {
    throw new SQLException("governance_audit is append-only", "45000");
  }
}
