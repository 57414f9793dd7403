package org.twiliocrm.webhook;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.governance.ConsentChecker;

/**
 * After the embedded H2 database was left open by a process that died: finds the webhook events
 * applied last whose change is not in the tables, and marks them NEW again, so that the
 * stored-event route applies them once more before anything else reads their state.
 *
 * <p>Why: H2 can leave the transaction that was committing when the process died partly applied
 * ({@code bench/run h2-kill}, docs/durability.md). For the stored-event route that transaction is a
 * batch: the events' DONE mark and their changes to {@code message_state} and {@code
 * outbox_message}. If the DONE mark survived and a change did not, the callback was acknowledged to
 * Twilio, will not be sent again, and its status was lost. Only the batches applied last can be in
 * that state, so only the most recent events are looked at.
 *
 * <p>What counts as not applied, per kind; each is what applying the event again would change, so a
 * second application of an event whose change did land is a no-op:
 *
 * <ul>
 *   <li>message status and call status: no {@code message_state} row for its SID, or the row's
 *       status could still move forward to the event's ({@link MessageStatus#canMove}); for a
 *       message status also an outbox row with that SID whose {@code twilio_status} could;
 *   <li>inbound message: no {@code message_state} row for its SID; or, for one whose row is there,
 *       the CRM action its text asks for (a Task, or the opt-out or opt-in flag) is not queued for
 *       it, or, for a STOP or START, the consent event naming it is not in the history. Applied
 *       again, the handler keeps the row and adds only what is missing.
 * </ul>
 *
 * <p>The legacy per-sender {@code consent} row (what {@link
 * org.twiliocrm.governance.ConsentChecker} reads before every send) is checked apart: a torn batch
 * can keep a STOP's consent event and lose that row's change, and then applying the event again
 * would change nothing (its consent event is there). Only inbound keywords write that row, the
 * latest one for a recipient and sender scope wins, and the batches applied last hold the latest
 * ones; so for each recipient and scope with a STOP or START among the events looked at, the row
 * must say what the latest of them says. Where it does not (or is missing), it is set from that
 * keyword here, at the time the keyword was first applied.
 */
public final class UncleanStopRecheck {
  private static final Logger LOG = LoggerFactory.getLogger(UncleanStopRecheck.class);

  /** The most recent applied events looked at: many batches of {@code webhook.process.batch}. */
  static final int RECENT = 5_000;

  /** And only those applied within this long of the last one (older ones were committed whole). */
  static final Duration WINDOW = Duration.ofMinutes(10);

  private UncleanStopRecheck() {}

  /**
   * What the check found: the events looked at, those marked NEW again, and the legacy consent rows
   * set again from their latest keyword.
   */
  public record Result(int checked, List<Long> requeued, int consentRowsRepaired) {}

  /**
   * Looks at the most recent applied events and marks NEW those whose change is missing. Run at
   * start, before the routes, only after an unclean stop of an H2 file this process owns.
   */
  public static Result run(DataSource dataSource, Keywords keywords) throws SQLException {
    long started = System.nanoTime();
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      Timestamp last = null;
      try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT MAX(processed_at) FROM webhook_event WHERE state = 'DONE'");
          ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          last = rs.getTimestamp(1);
        }
      }
      if (last == null) {
        c.commit();
        return new Result(0, List.of(), 0);
      }
      Timestamp since = Timestamp.from(last.toInstant().minus(WINDOW));
      int checked = 0;
      List<Long> missing = new ArrayList<>();
      List<Long> inboundKept = new ArrayList<>();
      List<Long> inboundAll = new ArrayList<>();
      // The newest DONE events by id (webhook_event_state_idx is (state, id)), then their rows.
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT e.id, e.kind, e.status, m.status, o.twilio_status, e.sid"
                  + " FROM (SELECT id, kind, sid, status, processed_at FROM webhook_event"
                  + " WHERE state = 'DONE' ORDER BY id DESC LIMIT ?) e"
                  + " LEFT JOIN message_state m ON m.message_sid = e.sid"
                  + " LEFT JOIN outbox_message o ON o.twilio_sid = e.sid"
                  + " AND e.kind = 'message-status'"
                  + " WHERE e.processed_at >= ? AND e.kind IN ('message-status', 'call-status',"
                  + " 'inbound') ORDER BY e.id")) {
        ps.setInt(1, RECENT);
        ps.setTimestamp(2, since);
        try (ResultSet rs = ps.executeQuery()) {
          long previous = -1;
          while (rs.next()) {
            long id = rs.getLong(1);
            if (id != previous) {
              checked++;
              if ("inbound".equals(rs.getString(2))) {
                inboundAll.add(id);
              }
            }
            if (notApplied(rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5))
                && (missing.isEmpty() || missing.get(missing.size() - 1) != id)) {
              missing.add(id);
            } else if ("inbound".equals(rs.getString(2)) && id != previous) {
              inboundKept.add(id);
            }
            previous = id;
          }
        }
      }
      // Inbound messages whose row is there: is what their text asks for there too?
      for (long id : inboundKept) {
        if (inboundEffectsMissing(c, keywords, id)) {
          missing.add(id);
        }
      }
      int consentRows = repairConsentRows(c, keywords, inboundAll);
      missing.sort(null);
      if (!missing.isEmpty()) {
        try (PreparedStatement ps =
            c.prepareStatement(
                "UPDATE webhook_event SET state = 'NEW', processed_at = NULL"
                    + " WHERE id = ? AND state = 'DONE'")) {
          for (long id : missing) {
            ps.setLong(1, id);
            ps.addBatch();
          }
          ps.executeBatch();
        }
      }
      c.commit();
      long millis = (System.nanoTime() - started) / 1_000_000;
      if (consentRows > 0) {
        LOG.warn(
            "H2 was not closed cleanly and left the consent row of {} recipient(s) and sender(s)"
                + " without the change of their latest STOP or START; set again from that keyword",
            consentRows);
      }
      if (missing.isEmpty()) {
        LOG.info(
            "H2 was not closed cleanly: the {} webhook events applied last all have their changes"
                + " in place ({} ms)",
            checked,
            millis);
      } else {
        LOG.warn(
            "H2 was not closed cleanly and left {} of the {} webhook events applied last marked"
                + " DONE without their change (a batch partly written when the process died);"
                + " they are applied again: ids {}",
            missing.size(),
            checked,
            missing.size() > 20 ? missing.subList(0, 20) + " ..." : missing);
      }
      return new Result(checked, List.copyOf(missing), consentRows);
    }
  }

  /**
   * For an inbound event whose {@code message_state} row is there: whether its CRM action or its
   * consent event is missing (what {@link InboundMessageHandler} would add if applied again).
   */
  static boolean inboundEffectsMissing(Connection c, Keywords keywords, long id)
      throws SQLException {
    StoredEvent e;
    try (PreparedStatement ps =
        c.prepareStatement("SELECT sid, payload FROM webhook_event WHERE id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return false;
        }
        e =
            new StoredEvent(
                id, "inbound", rs.getString(1), null, StoredEvent.params(rs.getString(2)));
      }
    }
    String from = e.p("From");
    String body = e.p("Body");
    Keywords.Kind kind = InboundMessageHandler.kind(keywords, e.p("OptOutType"), body);
    String action =
        switch (kind) {
          case HELP -> null;
          case OPT_OUT -> CrmAction.OPT_OUT;
          case OPT_IN -> CrmAction.OPT_IN;
          default -> CrmAction.TASK;
        };
    if (action == null) {
      return false;
    }
    if (!CrmActionQueue.exists(c, action, e.sid())) {
      return true;
    }
    return kind != Keywords.Kind.NONE
        && from != null
        && !org.twiliocrm.governance.ConsentLedger.seen(
            c,
            InboundMessageHandler.bare(from),
            org.twiliocrm.governance.RecipientPolicy.ALL_PURPOSES,
            org.twiliocrm.governance.ConsentLedger.SOURCE_SMS,
            InboundMessageHandler.consentEvidence(e.sid(), StoredEvent.channelOf(from), body));
  }

  /** The latest STOP or START for one recipient and sender scope, as its consent row records it. */
  private record LatestKeyword(String status, String keyword, Timestamp appliedAt) {}

  /**
   * Sets each legacy {@code consent} row that does not say what the latest STOP or START among
   * {@code inboundIds} (ascending) for its recipient and scope says; returns how many were set.
   */
  static int repairConsentRows(Connection c, Keywords keywords, List<Long> inboundIds)
      throws SQLException {
    Map<List<String>, LatestKeyword> latest = new LinkedHashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement("SELECT sid, payload, processed_at FROM webhook_event WHERE id = ?")) {
      for (long id : inboundIds) {
        ps.setLong(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            continue;
          }
          StoredEvent e =
              new StoredEvent(
                  id, "inbound", rs.getString(1), null, StoredEvent.params(rs.getString(2)));
          String from = e.p("From");
          String body = e.p("Body");
          String scope = InboundMessageHandler.consentScope(e);
          Keywords.Kind kind = InboundMessageHandler.kind(keywords, e.p("OptOutType"), body);
          if (from == null || scope == null || body == null) {
            continue;
          }
          if (kind == Keywords.Kind.OPT_OUT || kind == Keywords.Kind.OPT_IN) {
            // Ids ascend: a later keyword for the same pair replaces an earlier one.
            latest.put(
                List.of(from, scope),
                new LatestKeyword(
                    kind == Keywords.Kind.OPT_OUT
                        ? ConsentChecker.OPTED_OUT
                        : ConsentChecker.OPTED_IN,
                    InboundMessageHandler.keyword(body),
                    rs.getTimestamp(3) != null
                        ? rs.getTimestamp(3)
                        : Timestamp.from(java.time.Instant.now())));
          }
        }
      }
    }
    int repaired = 0;
    try (PreparedStatement ps =
        c.prepareStatement("SELECT status FROM consent WHERE recipient = ? AND sender_scope = ?")) {
      for (Map.Entry<List<String>, LatestKeyword> en : latest.entrySet()) {
        String from = en.getKey().get(0);
        String scope = en.getKey().get(1);
        LatestKeyword k = en.getValue();
        ps.setString(1, from);
        ps.setString(2, scope);
        String status;
        try (ResultSet rs = ps.executeQuery()) {
          status = rs.next() ? rs.getString(1) : null;
        }
        if (!k.status().equals(status)) {
          ConsentChecker.record(c, from, scope, k.status(), k.keyword(), k.appliedAt());
          repaired++;
        }
      }
    }
    return repaired;
  }

  /** Whether applying the event now would change something (see the class comment). */
  static boolean notApplied(String kind, String status, String stateStatus, String outboxStatus) {
    if ("inbound".equals(kind)) {
      return stateStatus == null;
    }
    if (!MessageStatus.known(status)) {
      return false;
    }
    if (stateStatus == null || MessageStatus.canMove(stateStatus, status)) {
      return true;
    }
    return "message-status".equals(kind)
        && outboxStatus != null
        && MessageStatus.canMove(outboxStatus, status);
  }
}
