package org.twiliocrm.webhook;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.outbound.OutboxStore;

/**
 * A message status callback: moves the message forward (never back) in {@code message_state} and on
 * its outbox row. A status for a message the connector has not seen yet (sent by another tool
 * through the same callback URL) creates its state, linked to the outbox row when there is one.
 */
public final class MessageStatusHandler {
  private static final Logger LOG = LoggerFactory.getLogger(MessageStatusHandler.class);

  private final MessageStateStore states;
  private final boolean outbox;

  public MessageStatusHandler(MessageStateStore states, boolean outbox) {
    this.states = states;
    this.outbox = outbox;
  }

  /** Route step: the event is the body, the batch's transaction an exchange property. */
  public void apply(Exchange exchange) throws SQLException {
    apply(WebhookEventFlow.connection(exchange), exchange.getMessage().getBody(StoredEvent.class));
  }

  void apply(Connection c, StoredEvent e) throws SQLException {
    String to = e.status();
    if (!MessageStatus.known(to)) {
      LOG.info("message {} reported unknown status '{}': stored, not applied", e.sid(), to);
      return;
    }
    Integer error = e.integer("ErrorCode");
    Timestamp now = Timestamp.from(Instant.now());
    if (!states.moveMessage(c, e.sid(), to, error, now) && !states.exists(c, e.sid())) {
      Optional<OutboxStore.Sent> row = outbox ? OutboxStore.bySid(c, e.sid()) : Optional.empty();
      Integer segments = row.map(OutboxStore.Sent::segments).orElse(e.integer("NumSegments"));
      states.insert(
          c,
          new MessageState(
              e.sid(),
              "outbound",
              StoredEvent.channelOf(e.p("From")),
              to,
              error,
              e.p("From"),
              e.p("To"),
              e.p("MessagingServiceSid"),
              e.p("AccountSid"),
              row.map(OutboxStore.Sent::body).orElse(null),
              segments,
              row.map(OutboxStore.Sent::crmObject).orElse(null),
              row.map(OutboxStore.Sent::crmRecordId).orElse(null),
              null,
              "sent".equals(to) ? now : null,
              "delivered".equals(to) || "read".equals(to) ? now : null),
          now);
    }
    if (outbox) {
      OutboxStore.applyTwilioStatus(
          c, e.sid(), to, MessageStatus.predecessors(to), error, null, now);
    }
  }
}
