package org.twiliocrm.crm.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.component.salesforce.SalesforceConstants;
import org.apache.camel.component.salesforce.api.dto.PlatformEvent;

/**
 * The bean the two YAML routes call ({@code crmEvents}): maps the raw event to decisions, and turns
 * rejections that name a CRM record into Task records for the write-back step.
 */
public final class CrmEvents {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final PlatformEventMapper platformEvents;
  private final ChangeEventMapper changeEvents;
  private final CrmEventsSettings settings;
  private final CrmEventMetrics metrics;

  CrmEvents(
      PlatformEventMapper platformEvents,
      ChangeEventMapper changeEvents,
      CrmEventsSettings settings,
      CrmEventMetrics metrics) {
    this.platformEvents = platformEvents;
    this.changeEvents = changeEvents;
    this.settings = settings;
    this.metrics = metrics;
  }

  /**
   * Body: camel-salesforce's {@link PlatformEvent} (or, with rawPayload=true, the raw CometD
   * message as a String). Returns an {@link EventOutcome}.
   */
  public EventOutcome fromPlatformEvent(Exchange exchange) throws Exception {
    Object body = exchange.getMessage().getBody();
    String raw;
    if (body instanceof PlatformEvent pe) {
      Map<String, Object> payload = new LinkedHashMap<>(pe.getEventData());
      raw = message(exchange, settings.platformEventTopic(), payload);
    } else {
      raw = exchange.getMessage().getBody(String.class);
    }
    return platformEvents.map(raw, settings.platformEventTopic(), replayId(exchange));
  }

  /**
   * Body: the change event's fields as a Map with the ChangeEventHeader parts in camel-salesforce's
   * headers (or, with rawPayload=true, the raw CometD message). Returns an {@link EventOutcome}.
   */
  public EventOutcome fromChangeEvent(Exchange exchange) throws Exception {
    Object body = exchange.getMessage().getBody();
    String raw;
    if (body instanceof Map<?, ?> fields) {
      org.apache.camel.Message m = exchange.getMessage();
      if (m.getHeader(SalesforceConstants.HEADER_SALESFORCE_ENTITY_NAME) instanceof String entity
          && !changeEvents.hasRuleFor(entity)) {
        // An object no rule names (with /data/ChangeEvents, every object the org streams, the
        // write-back's own Twilio_Message__c records too where CDC is on for them): no decision,
        // only its replay id to store. Without the JSON round trip below, which such events paid
        // for nothing (8 % of the connector's CPU in a PostgreSQL loop run, docs/performance.md).
        Object channel = m.getHeader(SalesforceConstants.HEADER_SALESFORCE_CHANNEL);
        return new EventOutcome(
            channel == null ? settings.changeEventTopic() : channel.toString(),
            replayId(exchange),
            List.of());
      }
      Map<String, Object> header = new LinkedHashMap<>();
      header.put("entityName", m.getHeader(SalesforceConstants.HEADER_SALESFORCE_ENTITY_NAME));
      header.put("recordIds", m.getHeader(SalesforceConstants.HEADER_SALESFORCE_RECORD_IDS));
      header.put("changeType", m.getHeader(SalesforceConstants.HEADER_SALESFORCE_CHANGE_TYPE));
      header.put(
          "transactionKey", m.getHeader(SalesforceConstants.HEADER_SALESFORCE_TRANSACTION_KEY));
      header.put(
          "sequenceNumber", m.getHeader(SalesforceConstants.HEADER_SALESFORCE_SEQUENCE_NUMBER));
      Map<String, Object> payload = new LinkedHashMap<>();
      payload.put("ChangeEventHeader", header);
      fields.forEach((k, v) -> payload.put(String.valueOf(k), v));
      raw = message(exchange, settings.changeEventTopic(), payload);
    } else {
      raw = exchange.getMessage().getBody(String.class);
    }
    return changeEvents.map(raw, settings.changeEventTopic(), replayId(exchange));
  }

  /**
   * The CometD message shape the mappers read. camel-salesforce's rawPayload=true builds it with a
   * new Jackson mapper per event on the CometD thread, which capped throughput at ~20 events/s on a
   * loaded 2-core machine; rebuilding it here from the parsed event with one shared mapper is
   * cheap.
   */
  private static String message(Exchange exchange, String topic, Map<String, Object> payload)
      throws Exception {
    Object channel = exchange.getMessage().getHeader(SalesforceConstants.HEADER_SALESFORCE_CHANNEL);
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("payload", payload);
    Long replayId = replayId(exchange);
    data.put("event", replayId == null ? Map.of() : Map.of("replayId", replayId));
    Map<String, Object> msg = new LinkedHashMap<>();
    msg.put("channel", channel == null ? topic : channel.toString());
    msg.put("data", data);
    return JSON.writeValueAsString(msg);
  }

  /**
   * The Task records (JSON, one per rejection with a known record) that tell the CRM user why no
   * message went out. Empty when write-back is off.
   */
  public List<String> writeBacks(EventOutcome outcome) throws Exception {
    List<String> out = new ArrayList<>();
    if (!settings.writeBack()) {
      return out;
    }
    for (Decision.Reject r : outcome.rejections()) {
      if (r.crmRecordId() == null
          || !RecipientResolver.RECORD_ID.matcher(r.crmRecordId()).matches()) {
        continue;
      }
      Map<String, Object> task = new LinkedHashMap<>();
      task.put("Subject", cut("Message not sent: " + r.reasonCode(), 255));
      task.put("Description", r.reason() + " (event " + r.eventKey() + ")");
      task.put("Status", "Completed");
      task.put("Priority", "Normal");
      // Contacts and Leads are "who" records; anything else (Case, Account, ...) is "what".
      String prefix = r.crmRecordId().substring(0, 3);
      task.put(prefix.equals("003") || prefix.equals("00Q") ? "WhoId" : "WhatId", r.crmRecordId());
      out.add(JSON.writeValueAsString(task));
    }
    return out;
  }

  /** Called when writing a Task back failed: counted and logged, the subscription goes on. */
  public void writeBackFailed(Exchange exchange) {
    metrics.writeBackFailed();
  }

  private static Long replayId(Exchange exchange) {
    Object v = exchange.getMessage().getHeader(SalesforceConstants.HEADER_SALESFORCE_REPLAY_ID);
    if (v instanceof Number n) {
      return n.longValue();
    }
    if (v != null) {
      try {
        return Long.parseLong(v.toString());
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  private static String cut(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }
}
