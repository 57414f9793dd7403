package org.twiliocrm.governance;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Reads the consent table (V1) before a send. A recipient is blocked when its latest consent row
 * for the sender, the Messaging Service or the whole account ({@code '*'}) says OPTED_OUT. The most
 * specific row wins is not needed: any OPTED_OUT in scope blocks, because an opt-out given to one
 * sender of a Messaging Service applies to the service (that is how Twilio's STOP handling works).
 */
public final class ConsentChecker {
  private final DataSource dataSource;

  public ConsentChecker(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** One send to check: the recipient, and the sender and/or Messaging Service it comes from. */
  public record Subject(String recipient, String sender, String serviceSid) {}

  /** Most recipients one batch lookup puts in its IN list. */
  static final int CHUNK = 500;

  /**
   * Why each send may not go out (empty when it may), in order, with one query per {@value #CHUNK}
   * distinct recipients rather than one per send: the outbox checks a claimed batch at once, which
   * at thousands of sends a second saves as many database round trips. Any OPTED_OUT row for the
   * recipient whose scope is the sender, the service or {@code '*'} blocks.
   */
  public List<Optional<String>> optOutReasons(List<Subject> subjects) {
    Set<String> recipients = new LinkedHashSet<>();
    for (Subject s : subjects) {
      recipients.add(bareNumber(s.recipient()));
    }
    Map<String, List<String[]>> optOuts = new HashMap<>();
    List<String> all = new ArrayList<>(recipients);
    try (Connection c = dataSource.getConnection()) {
      for (int from = 0; from < all.size(); from += CHUNK) {
        List<String> chunk = all.subList(from, Math.min(all.size(), from + CHUNK));
        String sql =
            "SELECT recipient, sender_scope, keyword, source FROM consent"
                + " WHERE status = 'OPTED_OUT' AND recipient IN ("
                + String.join(",", java.util.Collections.nCopies(chunk.size(), "?"))
                + ")";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          for (int i = 0; i < chunk.size(); i++) {
            ps.setString(i + 1, chunk.get(i));
          }
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              optOuts
                  .computeIfAbsent(rs.getString(1), k -> new ArrayList<>(1))
                  .add(new String[] {rs.getString(2), rs.getString(3), rs.getString(4)});
            }
          }
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("consent lookup failed: " + e.getMessage(), e);
    }
    List<Optional<String>> reasons = new ArrayList<>(subjects.size());
    for (Subject s : subjects) {
      List<String[]> rows = optOuts.get(bareNumber(s.recipient()));
      Optional<String> why = Optional.empty();
      if (rows != null) {
        String sender = s.sender() == null ? "*" : bareNumber(s.sender());
        String service = s.serviceSid() == null ? "*" : s.serviceSid();
        for (String[] r : rows) {
          if (r[0].equals("*") || r[0].equals(sender) || r[0].equals(service)) {
            why = Optional.of(reason(r[1], r[2]));
            break;
          }
        }
      }
      reasons.add(why);
    }
    return reasons;
  }

  private static String reason(String keyword, String source) {
    return "recipient opted out"
        + (keyword == null ? "" : " with " + keyword)
        + " (source "
        + source
        + ")";
  }

  /** Consent is keyed by the number, whatever channel prefix (whatsapp:) the send uses. */
  static String bareNumber(String address) {
    int colon = address.indexOf(':');
    return colon >= 0 ? address.substring(colon + 1) : address;
  }

  // ---------------------------------------------------------------- writes
  // The consent table's writes live here, beside the check that reads them.

  /** A keyword as stored: trimmed, upper case, at most 32 characters. */
  public static String clipKeyword(String body) {
    String k = body == null ? "" : body.strip().toUpperCase(java.util.Locale.ROOT);
    return k.length() <= 32 ? k : k.substring(0, 32);
  }

  public static final String OPTED_OUT = "OPTED_OUT";
  public static final String OPTED_IN = "OPTED_IN";

  /**
   * Records a recipient's keyword (STOP, START, ...) for one sender scope (the number or Messaging
   * Service it was sent to), in the caller's transaction: the latest keyword wins.
   */
  public static void record(
      Connection c,
      String recipient,
      String scope,
      String status,
      String keyword,
      java.sql.Timestamp now)
      throws SQLException {
    String kw = keyword == null || keyword.length() <= 32 ? keyword : keyword.substring(0, 32);
    int n;
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE consent SET status = ?, keyword = ?, source = 'inbound-sms', updated_at = ?"
                + " WHERE recipient = ? AND sender_scope = ?")) {
      ps.setString(1, status);
      ps.setString(2, kw);
      ps.setTimestamp(3, now);
      ps.setString(4, recipient);
      ps.setString(5, scope);
      n = ps.executeUpdate();
    }
    if (n == 0) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO consent (recipient, sender_scope, status, keyword, source, updated_at)"
                  + " VALUES (?, ?, ?, ?, 'inbound-sms', ?)")) {
        ps.setString(1, recipient);
        ps.setString(2, scope);
        ps.setString(3, status);
        ps.setString(4, kw);
        ps.setTimestamp(5, now);
        ps.executeUpdate();
      }
    }
  }
}
