package org.twiliocrm.operator;

import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.twiliocrm.outbound.OutcomeClassifier;

/**
 * What {@code GET /api/dashboard} reads: outcomes by hour and channel, the messages received by
 * hour and channel, the most frequent error codes with what they mean, the outbox backlog and its
 * oldest row, and the CRM write-back lag.
 *
 * <p>Hours are bucketed by a CASE over bound hour boundaries instead of a date function: the three
 * databases spell hour truncation differently (and MariaDB's depends on the session time zone),
 * while a comparison with a bound timestamp means the same on all of them. Rows are counted in the
 * hour they were created, read through the created_at index, so the cost follows the window, not
 * the table. The CASE is a binary search over the boundaries (a few comparisons a row, not one per
 * hour), and the index holds every column the counts read (V96), so the window's rows are counted
 * from the index alone. Measured by {@code bash bench/run console} on 1,000,000 rows.
 */
public final class Dashboard {
  /** Bean name the API looks up. */
  public static final String BEAN = "consoleDashboard";

  static final int MAX_HOURS = 72;
  private static final String IN_PLAY =
      "('PENDING', 'SENDING', 'RETRY', 'RECONCILE', 'RECONCILING')";

  private final DataSource dataSource;
  private final Clock clock;

  public Dashboard(DataSource dataSource, Clock clock) {
    this.dataSource = dataSource;
    this.clock = clock;
  }

  /** The dashboard over the last {@code hours} whole hours plus the current one. */
  public Map<String, Object> read(int hours) throws SQLException {
    if (hours < 1 || hours > MAX_HOURS) {
      throw new MessageQueries.BadFilter("'hours' must be a whole number from 1 to " + MAX_HOURS);
    }
    Instant now = clock.instant();
    Instant end = now.truncatedTo(ChronoUnit.HOURS).plus(Duration.ofHours(1));
    Instant start = end.minus(Duration.ofHours(hours + 1L));
    int buckets = hours + 1;

    Map<String, Object> out = new LinkedHashMap<>();
    out.put("now", now.toString());
    out.put("hours", hourly(start, buckets));
    out.put("errors", errors(start));
    out.put("backlog", backlog(now));
    out.put("writeBack", writeBack(now));
    return out;
  }

  private List<Map<String, Object>> hourly(Instant start, int buckets) throws SQLException {
    StringBuilder hour = new StringBuilder();
    List<Object> params = new ArrayList<>();
    bucket(hour, params, start, 0, buckets - 1);
    // Delivered and undelivered are Twilio's word (its status callbacks move twilio_status
    // forward); failed is the connector's FAILED or Twilio's failed; sent is everything else that
    // reached Twilio.
    String outcome =
        "CASE WHEN status = 'FAILED' OR twilio_status = 'failed' THEN 'failed'"
            + " WHEN twilio_status IN ('delivered', 'read') THEN 'delivered'"
            + " WHEN twilio_status = 'undelivered' THEN 'undelivered'"
            + " WHEN status = 'SENT' THEN 'sent' ELSE NULL END";
    String sql =
        "SELECT h, channel, outcome, COUNT(*) AS n FROM (SELECT "
            + hour
            + " AS h, channel, "
            + outcome
            + " AS outcome FROM outbox_message WHERE created_at >= ? AND created_at < ?) t"
            + " WHERE outcome IS NOT NULL GROUP BY h, channel, outcome";
    params.add(Timestamp.from(start));
    params.add(Timestamp.from(start.plus(Duration.ofHours(buckets))));
    List<Map<String, Object>> rows = MessageQueries.query(dataSource, sql, params);
    // Every hour is present, with zeros, so the chart's axis is continuous.
    List<Map<String, Object>> out = new ArrayList<>();
    for (int i = 0; i < buckets; i++) {
      Map<String, Object> h = new LinkedHashMap<>();
      h.put("hour", start.plus(Duration.ofHours(i)).toString());
      h.put("channels", new LinkedHashMap<String, Map<String, Long>>());
      out.add(h);
    }
    for (Map<String, Object> r : rows) {
      int i = ((Number) r.get("h")).intValue();
      @SuppressWarnings("unchecked")
      Map<String, Map<String, Long>> channels =
          (Map<String, Map<String, Long>>) out.get(i).get("channels");
      Map<String, Long> counts =
          channels.computeIfAbsent(
              (String) r.get("channel"),
              k -> {
                Map<String, Long> m = new LinkedHashMap<>();
                for (String o : List.of("sent", "delivered", "undelivered", "failed")) {
                  m.put(o, 0L);
                }
                return m;
              });
      counts.put((String) r.get("outcome"), ((Number) r.get("n")).longValue());
    }
    received(start, buckets, out);
    return out;
  }

  /**
   * Messages the connector received (inbound: replies, STOP, a sandbox phone's reply box) by the
   * hour they arrived and channel, as each hour's {@code received} map; read through the
   * (direction, created_at, channel) index (V101), so the cost follows the window.
   */
  private void received(Instant start, int buckets, List<Map<String, Object>> out)
      throws SQLException {
    StringBuilder hour = new StringBuilder();
    List<Object> params = new ArrayList<>();
    bucket(hour, params, start, 0, buckets - 1);
    params.add(Timestamp.from(start));
    params.add(Timestamp.from(start.plus(Duration.ofHours(buckets))));
    List<Map<String, Object>> rows =
        MessageQueries.query(
            dataSource,
            "SELECT h, channel, COUNT(*) AS n FROM (SELECT "
                + hour
                + " AS h, channel FROM message_state WHERE direction = 'inbound' AND created_at"
                + " >= ? AND created_at < ?) t GROUP BY h, channel",
            params);
    for (Map<String, Object> h : out) {
      h.put("received", new LinkedHashMap<String, Long>());
    }
    for (Map<String, Object> r : rows) {
      @SuppressWarnings("unchecked")
      Map<String, Long> received =
          (Map<String, Long>) out.get(((Number) r.get("h")).intValue()).get("received");
      String channel = r.get("channel") == null ? "unknown" : (String) r.get("channel");
      received.merge(channel, ((Number) r.get("n")).longValue(), Long::sum);
    }
  }

  /**
   * The hour index of created_at among hours lo..hi as nested CASEs that halve the range: about
   * log2(hours) comparisons a row. Parameters are added in the order their markers appear.
   */
  static void bucket(StringBuilder sql, List<Object> params, Instant start, int lo, int hi) {
    if (lo == hi) {
      sql.append(lo);
      return;
    }
    int mid = (lo + hi) / 2;
    sql.append("CASE WHEN created_at < ? THEN ");
    params.add(Timestamp.from(start.plus(Duration.ofHours(mid + 1L))));
    bucket(sql, params, start, lo, mid);
    sql.append(" ELSE ");
    bucket(sql, params, start, mid + 1, hi);
    sql.append(" END");
  }

  private List<Map<String, Object>> errors(Instant start) throws SQLException {
    List<Map<String, Object>> rows =
        MessageQueries.query(
            dataSource,
            "SELECT error_code, COUNT(*) AS n FROM outbox_message WHERE created_at >= ? AND"
                + " error_code IS NOT NULL GROUP BY error_code ORDER BY n DESC, error_code LIMIT 10",
            List.of(Timestamp.from(start)));
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map<String, Object> r : rows) {
      int code = ((Number) r.get("error_code")).intValue();
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("code", code);
      e.put("count", ((Number) r.get("n")).longValue());
      e.put("meaning", OutcomeClassifier.meaning(code).orElse("not known to the connector"));
      e.put("docs", "https://www.twilio.com/docs/api/errors/" + code);
      out.add(e);
    }
    return out;
  }

  private Map<String, Object> backlog(Instant now) throws SQLException {
    Map<String, Object> r =
        MessageQueries.query(
                dataSource,
                "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox_message WHERE status"
                    + " IN "
                    + IN_PLAY,
                List.of())
            .get(0);
    Map<String, Object> held =
        MessageQueries.query(
                dataSource,
                "SELECT COUNT(*) AS n FROM outbox_message WHERE status = 'HELD'",
                List.of())
            .get(0);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("rows", ((Number) r.get("n")).longValue());
    out.put("held", ((Number) held.get("n")).longValue());
    out.put("oldestCreatedAt", r.get("oldest"));
    out.put("oldestAgeSeconds", ageSeconds(now, (String) r.get("oldest")));
    return out;
  }

  private Map<String, Object> writeBack(Instant now) throws SQLException {
    Map<String, Object> r =
        MessageQueries.query(
                dataSource,
                "SELECT COUNT(*) AS n, MIN(crm_dirty_since) AS oldest,"
                    + " SUM(CASE WHEN crm_last_error IS NULL THEN 0 ELSE 1 END) AS failing"
                    // crm_dirty_since is set by every change and cleared once the CRM has the
                    // row (MessageStateStore), so it narrows to the waiting rows by its index
                    // (V96) instead of comparing two columns on every row; as a range, since H2
                    // reads IS NOT NULL as a test on every row.
                    + " FROM message_state WHERE "
                    + org.twiliocrm.webhook.MessageStateStore.DIRTY_RANGE
                    + " AND crm_synced_version < crm_version",
                List.of())
            .get(0);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("pending", ((Number) r.get("n")).longValue());
    out.put("failing", r.get("failing") == null ? 0L : ((Number) r.get("failing")).longValue());
    out.put("oldestDirtySince", r.get("oldest"));
    out.put("lagSeconds", ageSeconds(now, (String) r.get("oldest")));
    return out;
  }

  private static Long ageSeconds(Instant now, String since) {
    if (since == null) {
      return null;
    }
    return Math.max(0, Duration.between(Instant.parse(since), now).toSeconds());
  }
}
