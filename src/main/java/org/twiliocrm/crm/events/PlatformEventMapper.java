package org.twiliocrm.crm.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns one {@code Send_Message__e} event (the raw CometD message camel-salesforce hands over with
 * rawPayload=true) into an outbox row or a rejection. The event contract is in docs/crm-events.md:
 * Channel__c, To__c or Record_Id__c, Body__c or Template__c (+ Variables__c, a JSON object),
 * Idempotency_Key__c. Never throws for a bad event. An event with only Record_Id__c becomes a
 * {@link Decision.Lookup}, resolved with the rest of its commit group by the committer.
 */
final class PlatformEventMapper {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_PAYLOAD = 4000;

  private final RecipientResolver recipients;
  private final TemplateCatalog templates;
  private final String defaultChannel;

  PlatformEventMapper(
      RecipientResolver recipients, TemplateCatalog templates, String defaultChannel) {
    this.recipients = recipients;
    this.templates = templates;
    this.defaultChannel = defaultChannel;
  }

  EventOutcome map(String raw, String topic, Long replayIdHeader) throws Exception {
    EventEnvelope env = new EventEnvelope(topic, replayIdHeader);
    JsonNode payload;
    String eventUuid = null;
    try {
      payload = env.read(raw).payload;
      if (!payload.isObject()) {
        throw new IllegalArgumentException("data.payload is missing");
      }
      eventUuid = text(env.event, "EventUuid");
      if (eventUuid == null) {
        eventUuid = text(payload, "EventUuid");
      }
    } catch (Exception e) {
      String key = eventKey(env.channel, env.replayId, null);
      return new EventOutcome(
          env.channel,
          env.replayId,
          List.of(
              new Decision.Reject(
                  key,
                  "MALFORMED_PAYLOAD",
                  "event is not a platform event message: " + e.getMessage(),
                  null,
                  null,
                  truncate(raw))));
    }
    String channel = env.channel;
    Long replayId = env.replayId;
    String eventKey = eventKey(channel, replayId, eventUuid);
    return new EventOutcome(
        channel, replayId, List.of(decide(payload, eventKey, truncate(payload.toString()))));
  }

  private Decision decide(JsonNode p, String eventKey, String payloadText) throws Exception {
    String recordId = text(p, "Record_Id__c");
    String object = recordId == null ? null : recipients.objectOf(recordId);
    String to = text(p, "To__c");
    String body = text(p, "Body__c");
    String template = text(p, "Template__c");
    String vars = text(p, "Variables__c");
    String channel = Optional.ofNullable(text(p, "Channel__c")).orElse(defaultChannel);
    channel = channel.toLowerCase(Locale.ROOT);
    String key = Optional.ofNullable(text(p, "Idempotency_Key__c")).orElse(eventKey);

    List<String> problems = new ArrayList<>();
    String code = null;
    if (!SendChannel.isKnown(channel)) {
      code = "UNKNOWN_CHANNEL";
      problems.add("Channel__c '" + channel + "' is not one of " + SendChannel.KNOWN);
    }
    if (to == null && recordId == null) {
      code = code == null ? "MISSING_FIELD" : code;
      problems.add("To__c or Record_Id__c is required");
    }
    if (body == null && template == null) {
      code = code == null ? "MISSING_FIELD" : code;
      problems.add("Body__c or Template__c is required");
    } else if (body != null && template != null) {
      code = code == null ? "AMBIGUOUS_CONTENT" : code;
      problems.add("give Body__c or Template__c, not both");
    }
    if (to != null && to.length() > 64) {
      code = code == null ? "BAD_RECIPIENT" : code;
      problems.add("To__c is longer than 64 characters");
    }
    if (key.length() > 200) {
      code = code == null ? "BAD_IDEMPOTENCY_KEY" : code;
      problems.add("Idempotency_Key__c is longer than 200 characters");
    }
    String variablesJson = null;
    if (template != null && body == null) {
      Optional<Set<String>> needed = templates.variables(template);
      Map<String, String> given = new LinkedHashMap<>();
      if (vars != null) {
        try {
          JsonNode v = JSON.readTree(vars);
          if (!v.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
          }
          v.fields().forEachRemaining(e -> given.put(e.getKey(), e.getValue().asText()));
          variablesJson = JSON.writeValueAsString(given);
        } catch (Exception e) {
          code = code == null ? "BAD_VARIABLES" : code;
          problems.add("Variables__c must be a JSON object of strings: " + e.getMessage());
        }
      }
      if (needed.isEmpty()) {
        code = code == null ? "UNKNOWN_TEMPLATE" : code;
        problems.add("Template__c '" + template + "' is not a known template");
      } else if (problems.isEmpty()) {
        List<String> missing = needed.get().stream().filter(n -> !given.containsKey(n)).toList();
        if (!missing.isEmpty()) {
          code = "MISSING_VARIABLES";
          problems.add("Variables__c lacks " + missing + " for template '" + template + "'");
        }
      }
    }
    if (!problems.isEmpty()) {
      return new Decision.Reject(
          eventKey, code, String.join("; ", problems), object, recordId, payloadText);
    }
    if (to == null) {
      RecipientResolver.Lookup bad = recipients.precheck(recordId);
      if (bad != null) {
        return new Decision.Reject(
            eventKey, bad.reasonCode(), bad.reason(), object, recordId, payloadText);
      }
      // The phone is read for the whole commit group at once (RecipientResolver#resolveAll).
      return new Decision.Lookup(
          new Decision.Send(
              key,
              channel,
              null,
              template == null ? body : null,
              template,
              variablesJson,
              object,
              recordId),
          eventKey,
          payloadText);
    }
    if (channel.equals("whatsapp") && !to.startsWith("whatsapp:")) {
      to = "whatsapp:" + to;
    }
    return new Decision.Send(
        key,
        channel,
        to,
        template == null ? body : null,
        template,
        variablesJson,
        object,
        recordId);
  }

  static String eventKey(String channel, Long replayId, String eventUuid) {
    if (eventUuid != null) {
      return "sf-event:" + eventUuid;
    }
    return "sf-event:" + channel + ":" + (replayId == null ? "unknown" : replayId);
  }

  static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    String s = v.asText().trim();
    return s.isEmpty() ? null : s;
  }

  static String truncate(String s) {
    if (s == null) {
      return null;
    }
    return s.length() <= MAX_PAYLOAD ? s : s.substring(0, MAX_PAYLOAD);
  }
}
