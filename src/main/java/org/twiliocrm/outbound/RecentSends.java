package org.twiliocrm.outbound;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.twiliocrm.config.ConnectorConfig.Vendor;
import org.twiliocrm.governance.RecipientPolicy;

/**
 * Counts recent sends for frequency caps and OTP limits: a rolling window in SQL over the outbox
 * itself, the same statement on PostgreSQL, H2 and MariaDB, on the database clock, so every replica
 * sharing the database counts the same rows. A row counts once it is SENT or on its way (SENDING,
 * RECONCILE, RECONCILING), at its send time (else its last change). The rows of the batch being
 * checked are left out (they are SENDING already); the caller adds those it lets through.
 */
final class RecentSends {
  /** A number's sends in the window and the oldest of them (null when none). */
  record Count(long count, Instant oldest) {}

  private static final String COUNTED =
      " status IN ('SENT', 'SENDING', 'RECONCILE', 'RECONCILING')"
          + " AND COALESCE(sent_at, updated_at) >= ";

  private final DataSource dataSource;
  private final Vendor vendor;

  RecentSends(DataSource dataSource, Vendor vendor) {
    this.dataSource = dataSource;
    this.vendor = vendor;
  }

  /**
   * The row's purpose as SQL: its own, else the file's default ({@code otp} for verify rows when
   * declared). Purpose names are checked by the loader ({@code [a-z][a-z0-9_-]*}), so they are safe
   * as literals.
   */
  static String purposeSql(RecipientPolicy p) {
    String verify = p.purposes().containsKey("otp") ? "otp" : p.defaultPurpose();
    return "COALESCE(purpose, CASE WHEN channel = 'verify' THEN '"
        + verify
        + "' ELSE '"
        + p.defaultPurpose()
        + "' END)";
  }

  static String inList(Set<String> purposes) {
    return purposes.stream().map(s -> "'" + s + "'").collect(Collectors.joining(", "));
  }

  /** Sends per bare number matching {@code filter} (SQL, no parameters) within the window. */
  Map<String, Count> byNumber(
      Collection<String> numbers, String filter, Duration window, Collection<Long> exclude)
      throws SQLException {
    Map<String, Count> out = new HashMap<>();
    if (numbers.isEmpty()) {
      return out;
    }
    List<String> addresses = new ArrayList<>(numbers.size() * 2);
    for (String n : numbers) {
      addresses.add(n);
      addresses.add("whatsapp:" + n);
    }
    String sql =
        "SELECT recipient, COUNT(*), MIN(COALESCE(sent_at, updated_at)) FROM outbox_message"
            + " WHERE recipient IN ("
            + String.join(",", Collections.nCopies(addresses.size(), "?"))
            + ") AND "
            + filter
            + " AND"
            + COUNTED
            + OutboxStore.nowPlusMillis(vendor)
            + excluding(exclude)
            + " GROUP BY recipient";
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      int k = 1;
      for (String a : addresses) {
        ps.setString(k++, a);
      }
      ps.setLong(k, -window.toMillis());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String r = rs.getString(1);
          String bare = r.startsWith("whatsapp:") ? r.substring(9) : r;
          Timestamp t = rs.getTimestamp(3);
          Count add = new Count(rs.getLong(2), t == null ? null : t.toInstant());
          out.merge(bare, add, RecentSends::sum);
        }
      }
    }
    return out;
  }

  /** Sends to numbers starting with {@code prefix} (e.g. +1415555) matching {@code filter}. */
  long byPrefix(String prefix, String filter, Duration window, Collection<Long> exclude)
      throws SQLException {
    String sql =
        "SELECT COUNT(*) FROM outbox_message WHERE (recipient LIKE ? OR recipient LIKE ?) AND "
            + filter
            + " AND"
            + COUNTED
            + OutboxStore.nowPlusMillis(vendor)
            + excluding(exclude);
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, prefix + "%");
      ps.setString(2, "whatsapp:" + prefix + "%");
      ps.setLong(3, -window.toMillis());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static String excluding(Collection<Long> ids) {
    if (ids.isEmpty()) {
      return "";
    }
    return " AND id NOT IN ("
        + ids.stream().map(String::valueOf).collect(Collectors.joining(","))
        + ")";
  }

  private static Count sum(Count a, Count b) {
    Instant oldest =
        a.oldest() == null
            ? b.oldest()
            : b.oldest() == null || a.oldest().isBefore(b.oldest()) ? a.oldest() : b.oldest();
    return new Count(a.count() + b.count(), oldest);
  }
}
