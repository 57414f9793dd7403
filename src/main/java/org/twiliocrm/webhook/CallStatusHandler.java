package org.twiliocrm.webhook;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import org.apache.camel.Exchange;
import org.twiliocrm.outbound.OutboxStore;

/**
 * A call status callback. A call is a {@code message_state} row (direction call, channel voice)
 * and, like a message, a record of the message object in the CRM: each forward move bumps its
 * version for the write-back. CallStatus and AnsweredBy reach the outbox row too, and a finished
 * call becomes a Task on the CRM record.
 */
public final class CallStatusHandler {
  private final MessageStateStore states;
  private final CrmActionQueue actions;
  private final boolean outbox;

  public CallStatusHandler(MessageStateStore states, CrmActionQueue actions, boolean outbox) {
    this.states = states;
    this.actions = actions;
    this.outbox = outbox;
  }

  /** Route step: the event is the body, the batch's transaction an exchange property. */
  public void apply(Exchange exchange) throws SQLException {
    apply(WebhookEventFlow.connection(exchange), exchange.getMessage().getBody(StoredEvent.class));
  }

  void apply(Connection c, StoredEvent e) throws SQLException {
    String status = e.status();
    if (!MessageStatus.known(status)) {
      return;
    }
    Timestamp now = Timestamp.from(Instant.now());
    String answeredBy = e.p("AnsweredBy");
    Integer duration = e.integer("CallDuration");
    boolean moved = states.moveCall(c, e.sid(), status, answeredBy, duration, now);
    Optional<OutboxStore.Sent> row = outbox ? OutboxStore.bySid(c, e.sid()) : Optional.empty();
    String crmObject = row.map(OutboxStore.Sent::crmObject).orElse(null);
    String crmRecord = row.map(OutboxStore.Sent::crmRecordId).orElse(null);
    if (!moved && !states.exists(c, e.sid())) {
      states.insert(
          c,
          new MessageState(
              e.sid(),
              "call",
              "voice",
              status,
              null,
              e.p("From"),
              e.p("To"),
              null,
              e.p("AccountSid"),
              null,
              null,
              crmObject,
              crmRecord,
              null,
              null,
              null),
          now);
      moved = true;
    }
    states.recordCallFacts(c, e.sid(), answeredBy, duration, now);
    if (outbox) {
      OutboxStore.applyTwilioStatus(
          c, e.sid(), status, MessageStatus.predecessors(status), null, answeredBy, now);
    }
    if (moved && MessageStatus.isFinal(status)) {
      String detail =
          "Call "
              + status
              + (answeredBy != null ? " (answered by " + answeredBy + ")" : "")
              + (duration != null ? ", " + duration + " s" : "");
      actions.add(
          c,
          new CrmAction(0, CrmAction.TASK, e.sid(), e.p("To"), crmObject, crmRecord, detail),
          now);
    }
  }
}
