package org.twiliocrm.webhook;

import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

  /**
   * Route step: the event is the body, the batch's transaction an exchange property. The callback
   * is decided with the batch's other status callbacks ({@link MessageStatusBatch}) and written
   * when the batch is recorded, or earlier when another step needs the tables.
   */
  public void apply(Exchange exchange) throws SQLException {
    StoredEvent e = exchange.getMessage().getBody(StoredEvent.class);
    if (!MessageStatus.known(e.status())) {
      LOG.info("message {} reported unknown status '{}': stored, not applied", e.sid(), e.status());
      return;
    }
    WebhookEventFlow.Batch b = WebhookEventFlow.batch(exchange);
    MessageStatusBatch statuses = b.statuses();
    if (statuses == null) {
      statuses = new MessageStatusBatch(b.connection(), b.events(), states, outbox);
      b.statuses(statuses);
    }
    statuses.apply(e, e.integer("ErrorCode"), Timestamp.from(Instant.now()));
  }
}
