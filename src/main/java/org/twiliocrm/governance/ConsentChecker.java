package org.twiliocrm.governance;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Reads the consent table (V1) before a send. A recipient is blocked when its latest consent row
 * for the sender, the Messaging Service or the whole account ({@code '*'}) says OPTED_OUT. The most
 * specific row wins is not needed: any OPTED_OUT in scope blocks, because an opt-out given to one
 * sender of a Messaging Service applies to the service (that is how Twilio's STOP handling works).
 */
public final class ConsentChecker {
  private static final String SQL =
      "SELECT keyword, source FROM consent WHERE recipient = ? AND status = 'OPTED_OUT'"
          + " AND sender_scope IN ('*', ?, ?)";

  private final DataSource dataSource;

  public ConsentChecker(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Why the recipient may not be messaged, or empty when it may. */
  public Optional<String> optOutReason(String recipient, String sender, String serviceSid) {
    String bare = bareNumber(recipient);
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(SQL)) {
      ps.setString(1, bare);
      ps.setString(2, sender == null ? "*" : bareNumber(sender));
      ps.setString(3, serviceSid == null ? "*" : serviceSid);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          String keyword = rs.getString(1);
          return Optional.of(
              "recipient opted out"
                  + (keyword == null ? "" : " with " + keyword)
                  + " (source "
                  + rs.getString(2)
                  + ")");
        }
        return Optional.empty();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("consent lookup failed: " + e.getMessage(), e);
    }
  }

  /** Consent is keyed by the number, whatever channel prefix (whatsapp:) the send uses. */
  static String bareNumber(String address) {
    int colon = address.indexOf(':');
    return colon >= 0 ? address.substring(colon + 1) : address;
  }
}
