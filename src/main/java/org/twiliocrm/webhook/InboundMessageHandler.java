package org.twiliocrm.webhook;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.Redaction;
import org.twiliocrm.governance.ConsentChecker;
import org.twiliocrm.governance.ConsentLedger;
import org.twiliocrm.governance.RecipientPolicy;
import org.twiliocrm.outbound.OutboxStore;

/**
 * An inbound message: stored once in {@code message_state}, linked to its conversation (the last
 * outbound message to the sender, counting outbox sends whose first callback has not come yet, else
 * the newest outbox row to it that names a CRM record). STOP and START change consent for the
 * number or Messaging Service it was sent to and queue the CRM opt-out flag; HELP needs nothing
 * more (the endpoint already answered it); anything else becomes a Task on the CRM record.
 */
public final class InboundMessageHandler {
  private static final Logger LOG = LoggerFactory.getLogger(InboundMessageHandler.class);

  private final MessageStateStore states;
  private final CrmActionQueue actions;
  private final Keywords keywords;
  private final boolean outbox;

  public InboundMessageHandler(
      MessageStateStore states, CrmActionQueue actions, Keywords keywords, boolean outbox) {
    this.states = states;
    this.actions = actions;
    this.keywords = keywords;
    this.outbox = outbox;
  }

  /** Route step: the event is the body, the batch's transaction an exchange property. */
  public void apply(Exchange exchange) throws SQLException {
    apply(WebhookEventFlow.connection(exchange), exchange.getMessage().getBody(StoredEvent.class));
  }

  void apply(Connection c, StoredEvent e) throws SQLException {
    Timestamp now = Timestamp.from(Instant.now());
    String from = e.p("From");
    String to = e.p("To");
    String body = e.p("Body");
    Optional<MessageStateStore.Conversation> stored = states.link(c, e.sid());
    String crmObject;
    String crmRecord;
    if (stored.isPresent()) {
      // Seen before. Normally that ends it (Twilio's retries are dropped on the dedupe key before
      // they get here); it happens when the event is applied again after H2 lost part of the
      // transaction that first applied it (UncleanStopRecheck). The row is kept as it is; the
      // consent change and CRM action below are each made only if missing.
      crmObject = stored.get().crmObject();
      crmRecord = stored.get().crmRecordId();
    } else {
      Link link = link(c, from);
      crmObject = link.crmObject;
      crmRecord = link.crmRecord;
      states.insert(
          c,
          new MessageState(
              e.sid(),
              "inbound",
              StoredEvent.channelOf(from),
              "received",
              null,
              from,
              to,
              e.p("MessagingServiceSid"),
              e.p("AccountSid"),
              body,
              e.integer("NumSegments"),
              crmObject,
              crmRecord,
              link.replyTo,
              null,
              null),
          now);
    }
    String scope = consentScope(e);
    Keywords.Kind kind = kind(e.p("OptOutType"), body);
    if (kind == Keywords.Kind.OPT_OUT || kind == Keywords.Kind.OPT_IN) {
      String channel = StoredEvent.channelOf(from);
      String evidence = consentEvidence(e.sid(), channel, body);
      // The consent event names this message: found, the change was made when it was first
      // applied (a STOP applied again must not undo a START that came after it).
      if (!ConsentLedger.seen(
          c, bare(from), RecipientPolicy.ALL_PURPOSES, ConsentLedger.SOURCE_SMS, evidence)) {
        consentEvent(c, from, kind, evidence, now);
        String status =
            kind == Keywords.Kind.OPT_OUT ? ConsentChecker.OPTED_OUT : ConsentChecker.OPTED_IN;
        ConsentChecker.record(c, from, scope, status, keyword(body), now);
        if (kind == Keywords.Kind.OPT_OUT) {
          LOG.info("{} opted out of {}", Redaction.phone(from), scope);
        }
      }
    }
    switch (kind) {
      case OPT_OUT ->
          actions.addOnce(c, action(CrmAction.OPT_OUT, e, from, crmObject, crmRecord, null), now);
      case OPT_IN ->
          actions.addOnce(c, action(CrmAction.OPT_IN, e, from, crmObject, crmRecord, null), now);
      case HELP -> {}
      default ->
          actions.addOnce(c, action(CrmAction.TASK, e, from, crmObject, crmRecord, body), now);
    }
  }

  /** The conversation a new inbound message joins, and the CRM record it belongs to. */
  private record Link(String replyTo, String crmObject, String crmRecord) {}

  private Link link(Connection c, String from) throws SQLException {
    Optional<MessageStateStore.Conversation> conversation = states.lastOutboundTo(c, from);
    if (outbox) {
      // message_state learns of an outbound message from its first status callback, which may
      // come after the customer's answer to it: a reply seconds after a send would otherwise join
      // the conversation before. The outbox knows the send as soon as Twilio accepted it.
      // (When it is the conversation already found, it is known there: no look-up needed.)
      OutboxStore.Sent sent = OutboxStore.lastSentTo(c, from).orElse(null);
      String known = conversation.map(MessageStateStore.Conversation::sid).orElse(null);
      if (sent != null && !sent.twilioSid().equals(known) && !states.exists(c, sent.twilioSid())) {
        conversation =
            Optional.of(
                new MessageStateStore.Conversation(
                    sent.twilioSid(), sent.crmObject(), sent.crmRecordId()));
      }
    }
    String replyTo = conversation.map(MessageStateStore.Conversation::sid).orElse(null);
    String crmObject = conversation.map(MessageStateStore.Conversation::crmObject).orElse(null);
    String crmRecord = conversation.map(MessageStateStore.Conversation::crmRecordId).orElse(null);
    if (crmRecord == null && outbox) {
      Optional<OutboxStore.Sent> row = OutboxStore.lastLinkedTo(c, from);
      if (row.isPresent()) {
        replyTo = replyTo != null ? replyTo : row.get().twilioSid();
        crmObject = row.get().crmObject();
        crmRecord = row.get().crmRecordId();
      }
    }
    return new Link(replyTo, crmObject, crmRecord);
  }

  /** The evidence a keyword's consent event carries: the message SID, its channel, the keyword. */
  static String consentEvidence(String sid, String channel, String body) {
    return "message " + sid + " (" + channel + "), keyword " + ConsentChecker.clipKeyword(body);
  }

  /** The number a consent event is kept under: WhatsApp's prefix dropped. */
  static String bare(String from) {
    return from.startsWith("whatsapp:") ? from.substring(9) : from;
  }

  /**
   * Advanced Opt-Out (a Messaging Service with its own keywords, perhaps in other languages) tells
   * the result in OptOutType: STOP, START or HELP. It wins over the connector's own keyword list,
   * which only knows Twilio's defaults.
   */
  Keywords.Kind kind(String optOutType, String body) {
    return kind(keywords, optOutType, body);
  }

  static Keywords.Kind kind(Keywords keywords, String optOutType, String body) {
    if (optOutType != null) {
      switch (optOutType.strip().toUpperCase(Locale.ROOT)) {
        case "STOP" -> {
          return Keywords.Kind.OPT_OUT;
        }
        case "START" -> {
          return Keywords.Kind.OPT_IN;
        }
        case "HELP" -> {
          return Keywords.Kind.HELP;
        }
        default -> {}
      }
    }
    return keywords.classify(body);
  }

  /**
   * The keyword as a consent event by purpose (governance/recipients.yaml): a STOP opts out of
   * every purpose; a START/YES first confirms any double opt-in awaiting it, and lifts an opt-out
   * of every purpose. Evidence: the message SID and the keyword.
   */
  private static void consentEvent(
      Connection c, String from, Keywords.Kind kind, String evidence, Timestamp now)
      throws SQLException {
    String number = bare(from);
    Instant at = now.toInstant();
    if (kind == Keywords.Kind.OPT_IN) {
      ConsentLedger.confirm(c, number, evidence, at);
    }
    ConsentLedger.record(
        c,
        new ConsentLedger.Event(
            number,
            RecipientPolicy.ALL_PURPOSES,
            kind == Keywords.Kind.OPT_OUT ? ConsentLedger.OPTED_OUT : ConsentLedger.OPTED_IN,
            ConsentLedger.SOURCE_SMS,
            evidence,
            at,
            null));
  }

  /**
   * The sender scope a keyword applies to in the legacy {@code consent} table: the Messaging
   * Service it was sent to, else the number.
   */
  static String consentScope(StoredEvent e) {
    return e.p("MessagingServiceSid") != null ? e.p("MessagingServiceSid") : e.p("To");
  }

  /** A keyword as the legacy {@code consent} row records it. */
  static String keyword(String body) {
    return body.strip().toUpperCase(Locale.ROOT);
  }

  private static CrmAction action(
      String kind, StoredEvent e, String phone, String object, String record, String detail) {
    return new CrmAction(0, kind, e.sid(), phone, object, record, detail);
  }
}
