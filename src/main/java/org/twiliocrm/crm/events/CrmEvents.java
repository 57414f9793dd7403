package org.twiliocrm.crm.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.component.salesforce.SalesforceConstants;

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

  /** Body: the raw CometD message of a platform event. Returns an {@link EventOutcome}. */
  public EventOutcome fromPlatformEvent(Exchange exchange) throws Exception {
    return platformEvents.map(
        exchange.getMessage().getBody(String.class),
        settings.platformEventTopic(),
        replayId(exchange));
  }

  /** Body: the raw CometD message of a change event. Returns an {@link EventOutcome}. */
  public EventOutcome fromChangeEvent(Exchange exchange) throws Exception {
    return changeEvents.map(
        exchange.getMessage().getBody(String.class),
        settings.changeEventTopic(),
        replayId(exchange));
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
