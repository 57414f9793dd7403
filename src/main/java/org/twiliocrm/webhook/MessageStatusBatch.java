package org.twiliocrm.webhook;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.twiliocrm.outbound.OutboxStore;

/**
 * The message status callbacks of one claimed batch, applied with a few statements per batch
 * instead of two to five per callback. On the first callback it reads, with a row lock, the current
 * status of every message the batch's remaining status callbacks name, in {@code message_state} and
 * on the outbox rows; each callback is then decided in memory, in the batch's order, exactly as the
 * per-callback SQL would have decided it (a later callback of a message sees the earlier one's
 * result; a status only moves to a later one, {@link MessageStatus#predecessors}); {@link #flush}
 * writes the outcome: one multi-row INSERT for the messages seen first, one JDBC batch of UPDATEs
 * for the messages that moved, one for the outbox rows.
 *
 * <p>Anything else that reads or writes these tables in the batch's transaction flushes first
 * ({@link WebhookEventFlow#connection}), and the next status callback reads again, so every step
 * sees the statuses of the callbacks before it.
 */
final class MessageStatusBatch {
  private final Connection c;
  private final List<StoredEvent> events;
  private final MessageStateStore states;
  private final boolean outbox;

  /** The messages read and decided since the last flush, by SID; null when none are. */
  private Map<String, Msg> messages;

  /** The outbox rows of those messages, by SID (the rows in id order). */
  private Map<String, List<Row>> rows;

  MessageStatusBatch(
      Connection c, List<StoredEvent> events, MessageStateStore states, boolean outbox) {
    this.c = c;
    this.events = events;
    this.states = states;
    this.outbox = outbox;
  }

  /** One message: as read, and as the callbacks decided so far have left it. */
  private static final class Msg {
    final String sid;
    final String read; // status when read; null: no row
    String status; // current status; null: no row yet
    MessageState created; // the row to insert, as first seen; null: it existed
    int moves;
    Integer error;
    Timestamp sentAt;
    Timestamp deliveredAt;
    Timestamp firstAt;
    Timestamp lastAt;

    Msg(String sid, String read) {
      this.sid = sid;
      this.read = read;
      this.status = read;
    }
  }

  /** One outbox row of a message: its Twilio status as read, and as decided so far. */
  private static final class Row {
    final OutboxStore.Tracked tracked;
    String status;
    boolean moved;
    Integer error;
    Timestamp at;

    Row(OutboxStore.Tracked tracked) {
      this.tracked = tracked;
      this.status = tracked.twilioStatus();
    }
  }

  /** Decides one callback (its status is known); written by {@link #flush}. */
  void apply(StoredEvent e, Integer error, Timestamp now) throws SQLException {
    if (e.sid() == null) {
      throw new IllegalStateException("message status event " + e.id() + " has no MessageSid");
    }
    if (messages == null || !messages.containsKey(e.sid())) {
      flush();
      read(e);
    }
    String to = e.status();
    List<String> preds = MessageStatus.predecessors(to);
    Msg m = messages.get(e.sid());
    if (m.status == null) {
      m.created = created(e, to, error, now);
      m.status = to;
      m.error = error;
      m.sentAt = m.created.sentAt();
      m.deliveredAt = m.created.deliveredAt();
      m.firstAt = now;
      m.lastAt = now;
    } else if (preds.contains(m.status)) {
      m.status = to;
      m.moves++;
      if (error != null) {
        m.error = error;
      }
      if ("sent".equals(to) && m.sentAt == null) {
        m.sentAt = now;
      }
      if (("delivered".equals(to) || "read".equals(to)) && m.deliveredAt == null) {
        m.deliveredAt = now;
      }
      if (m.firstAt == null) {
        m.firstAt = now;
      }
      m.lastAt = now;
    }
    if (outbox) {
      for (Row r : rows.getOrDefault(e.sid(), List.of())) {
        if (r.status == null || preds.contains(r.status)) {
          r.status = to;
          r.moved = true;
          if (error != null) {
            r.error = error;
          }
          r.at = now;
        }
      }
    }
  }

  /** The state a message's first callback creates, linked to its outbox row when there is one. */
  private MessageState created(StoredEvent e, String to, Integer error, Timestamp now) {
    OutboxStore.Sent row =
        outbox && rows.containsKey(e.sid()) ? rows.get(e.sid()).get(0).tracked.sent() : null;
    Integer segments = row != null ? row.segments() : e.integer("NumSegments");
    return new MessageState(
        e.sid(),
        "outbound",
        StoredEvent.channelOf(e.p("From")),
        to,
        error,
        e.p("From"),
        e.p("To"),
        e.p("MessagingServiceSid"),
        e.p("AccountSid"),
        row != null ? row.body() : null,
        segments,
        row != null ? row.crmObject() : null,
        row != null ? row.crmRecordId() : null,
        null,
        "sent".equals(to) ? now : null,
        "delivered".equals(to) || "read".equals(to) ? now : null);
  }

  /**
   * Reads, with row locks, the messages of the status callbacks from {@code e} to the end of the
   * batch, and their outbox rows.
   */
  private void read(StoredEvent e) throws SQLException {
    int from = 0;
    for (int i = 0; i < events.size(); i++) {
      if (events.get(i).id() == e.id()) {
        from = i;
        break;
      }
    }
    Set<String> sids = new LinkedHashSet<>();
    sids.add(e.sid());
    for (StoredEvent x : events.subList(from, events.size())) {
      if ("message-status".equals(x.kind()) && x.sid() != null && MessageStatus.known(x.status())) {
        sids.add(x.sid());
      }
    }
    Map<String, String> found = states.lockStatuses(c, sids);
    // Key order: the rows are inserted and updated in the order they were locked.
    messages = new TreeMap<>();
    for (String sid : sids) {
      messages.put(sid, new Msg(sid, found.get(sid)));
    }
    rows = new TreeMap<>();
    if (outbox) {
      List<String> all = new ArrayList<>(messages.keySet());
      for (int i = 0; i < all.size(); i += MessageStateStore.KEYS_PER_QUERY) {
        List<String> chunk =
            all.subList(i, Math.min(all.size(), i + MessageStateStore.KEYS_PER_QUERY));
        for (OutboxStore.Tracked t : OutboxStore.lockBySids(c, chunk)) {
          rows.computeIfAbsent(t.sent().twilioSid(), k -> new ArrayList<>()).add(new Row(t));
        }
      }
    }
  }

  /** Writes what the callbacks decided since the last flush; the next callback reads again. */
  void flush() throws SQLException {
    if (messages == null) {
      return;
    }
    List<MessageStateStore.NewRow> inserts = new ArrayList<>();
    List<MessageStateStore.Moved> moved = new ArrayList<>();
    for (Msg m : messages.values()) {
      if (m.created != null) {
        MessageState s = m.created;
        inserts.add(
            new MessageStateStore.NewRow(
                new MessageState(
                    s.sid(),
                    s.direction(),
                    s.channel(),
                    m.status,
                    m.error,
                    s.from(),
                    s.to(),
                    s.messagingServiceSid(),
                    s.accountSid(),
                    s.body(),
                    s.segments(),
                    s.crmObject(),
                    s.crmRecordId(),
                    s.replyToSid(),
                    m.sentAt,
                    m.deliveredAt),
                m.firstAt,
                m.lastAt,
                1 + m.moves));
      } else if (m.moves > 0) {
        moved.add(
            new MessageStateStore.Moved(
                m.sid,
                m.read,
                m.status,
                m.error,
                m.sentAt,
                m.deliveredAt,
                m.firstAt,
                m.lastAt,
                m.moves));
      }
    }
    List<OutboxStore.StatusMove> outboxMoves = new ArrayList<>();
    for (List<Row> list : rows.values()) {
      for (Row r : list) {
        if (r.moved) {
          outboxMoves.add(
              new OutboxStore.StatusMove(
                  r.tracked.id(), r.tracked.twilioStatus(), r.status, r.error, r.at));
        }
      }
    }
    outboxMoves.sort((a, b) -> Long.compare(a.id(), b.id()));
    messages = null;
    rows = null;
    states.insertAll(c, inserts);
    states.moveAll(c, moved);
    OutboxStore.applyTwilioStatuses(c, outboxMoves);
  }
}
