package org.twiliocrm.outbound;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives a message's record the outbox row's text and CRM link when its first status callback was
 * stored before the result writer had recorded the row's Twilio SID.
 *
 * <p>Twilio (and the sandbox) may call back as soon as it has answered the create, and the result
 * writer records the SID in batches a little later. A callback processed in between finds no outbox
 * row for its SID, so the {@code message_state} row it creates has no body and no CRM object or
 * record id, and later callbacks only move its status: the CRM record was written back without its
 * text and without its link to the contact (seen in CI on a loaded machine, where {@code
 * ShippedFlowTestsIT} found {@code Body__c} empty). Called by the result writer after each batch is
 * committed: the rows of the batch's new SIDs that a callback created without either are filled
 * from the outbox row, and their CRM version is bumped so that the write-back sends the record
 * again. The outbox row, which the writer left at Twilio's answer to the create ({@code queued}),
 * takes the status the callbacks already moved the record to.
 *
 * <p>Its own transaction after the writer's, locking {@code message_state} rows before outbox rows,
 * the status processor's order, so the two cannot deadlock on each other. If the process dies
 * between the two commits, that one record stays without its text, as before.
 */
public final class SentLink {
  private static final Logger LOG = LoggerFactory.getLogger(SentLink.class);

  /** SIDs per {@code IN (...)} lookup. */
  private static final int KEYS_PER_QUERY = 200;

  private final DataSource dataSource;
  private final Function<String, List<String>> predecessors;
  private final AtomicLong linked = new AtomicLong();
  private final AtomicLong statusesForward = new AtomicLong();

  /**
   * {@code predecessors}: the statuses a message may leave for a given one (the webhook flow's
   * forward-only rule, {@code MessageStatus::predecessors}), passed in by the wiring so that this
   * package does not depend on the webhook package.
   */
  public SentLink(DataSource dataSource, Function<String, List<String>> predecessors) {
    this.dataSource = dataSource;
    this.predecessors = predecessors;
  }

  /** Records filled in so far by this instance. */
  public long linked() {
    return linked.get();
  }

  /** Outbox rows whose Twilio status this instance has moved forward to their record's. */
  public long statusesForward() {
    return statusesForward.get();
  }

  /** After a batch of results is committed; never throws (a failure is logged). */
  public void afterRecorded(List<OutboxStore.Result> results) {
    List<String> sids = new ArrayList<>();
    for (OutboxStore.Result r : results) {
      Outcome o = r.outcome();
      if ("SENT".equals(o.status()) && o.twilioSid() != null) {
        sids.add(o.twilioSid());
      }
    }
    if (sids.isEmpty()) {
      return;
    }
    Collections.sort(sids); // one lock order for every writer of message_state
    try (Connection c = dataSource.getConnection()) {
      boolean auto = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        Linked n = link(c, sids);
        c.commit();
        linked.addAndGet(n.records());
        statusesForward.addAndGet(n.outboxStatuses());
        if (n.records() > 0 || n.outboxStatuses() > 0) {
          LOG.info(
              "{} message record(s) whose first status arrived before the send was recorded now"
                  + " carry the outbox row's text and CRM link; {} outbox row(s) took their"
                  + " record's later Twilio status",
              n.records(),
              n.outboxStatuses());
        }
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(auto);
      }
    } catch (SQLException | RuntimeException e) {
      LOG.warn(
          "Could not give {} sent message(s) their outbox text and CRM link: {}",
          sids.size(),
          e.getMessage());
    }
  }

  /** What one {@link #link} call changed. */
  record Linked(int records, int outboxStatuses) {}

  /**
   * Fills the rows of {@code sids} that a callback created without text or link, and moves each
   * outbox row's Twilio status forward to its record's where a callback got there first.
   */
  Linked link(Connection c, List<String> sids) throws SQLException {
    List<String> bare = new ArrayList<>();
    List<Ahead> ahead = new ArrayList<>();
    for (int i = 0; i < sids.size(); i += KEYS_PER_QUERY) {
      List<String> chunk = sids.subList(i, Math.min(sids.size(), i + KEYS_PER_QUERY));
      // Rows a callback made before the SID was recorded. Normally there are none: the first
      // callback comes after the result writer, and this plain read finds nothing.
      List<String> existing = new ArrayList<>();
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT message_sid FROM message_state WHERE message_sid IN ("
                  + String.join(", ", Collections.nCopies(chunk.size(), "?"))
                  + ")")) {
        int p = 1;
        for (String sid : chunk) {
          ps.setString(p++, sid);
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            existing.add(rs.getString(1));
          }
        }
      }
      if (existing.isEmpty()) {
        continue;
      }
      Collections.sort(existing);
      // Then locked, only rows that exist (no gap locks on MariaDB), in SID order and before any
      // outbox row, as the status processor locks them, so the two cannot deadlock.
      Map<String, Ahead> states = new java.util.TreeMap<>();
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT message_sid, status, error_code, CASE WHEN body IS NULL AND crm_object IS"
                  + " NULL AND crm_record_id IS NULL THEN 1 ELSE 0 END FROM message_state WHERE"
                  + " message_sid IN ("
                  + String.join(", ", Collections.nCopies(existing.size(), "?"))
                  + ") ORDER BY message_sid FOR UPDATE")) {
        int p = 1;
        for (String sid : existing) {
          ps.setString(p++, sid);
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String sid = rs.getString(1);
            int code = rs.getInt(3);
            states.put(sid, new Ahead(sid, rs.getString(2), rs.wasNull() ? null : code));
            if (rs.getInt(4) == 1) {
              bare.add(sid);
            }
          }
        }
      }
      if (states.isEmpty()) {
        continue;
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT twilio_sid, twilio_status FROM outbox_message WHERE twilio_sid IN ("
                  + String.join(", ", Collections.nCopies(states.size(), "?"))
                  + ")")) {
        int p = 1;
        for (String sid : states.keySet()) {
          ps.setString(p++, sid);
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            Ahead a = states.get(rs.getString(1));
            String outboxStatus = rs.getString(2);
            // The result writer stored Twilio's answer to the create (queued) over no status, so
            // a status the callbacks already moved the record to is behind on the outbox row.
            if (a != null
                && a.status() != null
                && !a.status().equals(outboxStatus)
                && (outboxStatus == null
                    || predecessors.apply(a.status()).contains(outboxStatus))) {
              ahead.add(a);
            }
          }
        }
      }
    }
    Timestamp now = Timestamp.from(Instant.now());
    int records = bare.isEmpty() ? 0 : fill(c, bare, now);
    ahead.sort(java.util.Comparator.comparing(Ahead::sid));
    for (Ahead a : ahead) {
      // Forward-only in SQL too: a callback committed since the read may have moved it further.
      OutboxStore.applyTwilioStatus(
          c, a.sid(), a.status(), predecessors.apply(a.status()), a.errorCode(), null, now);
    }
    return new Linked(records, ahead.size());
  }

  private record Ahead(String sid, String status, Integer errorCode) {}

  private static int fill(Connection c, List<String> bare, Timestamp now) throws SQLException {
    Collections.sort(bare);
    int n = 0;
    try (PreparedStatement up =
        c.prepareStatement(
            "UPDATE message_state SET body = ?, num_segments = COALESCE(num_segments, ?),"
                + " crm_object = ?, crm_record_id = ?, updated_at = ?, crm_version = crm_version"
                + " + 1, crm_dirty_since = COALESCE(crm_dirty_since, ?) WHERE message_sid = ? AND"
                + " body IS NULL AND crm_object IS NULL AND crm_record_id IS NULL")) {
      for (String sid : bare) {
        Optional<OutboxStore.Sent> sent = OutboxStore.bySid(c, sid);
        if (sent.isEmpty()) {
          continue;
        }
        OutboxStore.Sent s = sent.get();
        if (s.body() == null && s.crmObject() == null && s.crmRecordId() == null) {
          continue; // nothing to add
        }
        up.setString(1, s.body());
        if (s.segments() == null) {
          up.setNull(2, Types.INTEGER);
        } else {
          up.setInt(2, s.segments());
        }
        up.setString(3, s.crmObject());
        up.setString(4, s.crmRecordId());
        up.setTimestamp(5, now);
        up.setTimestamp(6, now);
        up.setString(7, sid);
        n += up.executeUpdate();
      }
    }
    return n;
  }
}
