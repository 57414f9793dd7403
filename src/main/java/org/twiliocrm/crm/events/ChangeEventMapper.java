package org.twiliocrm.crm.events;

import static org.twiliocrm.crm.events.PlatformEventMapper.text;
import static org.twiliocrm.crm.events.PlatformEventMapper.truncate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;

/**
 * Applies the YAML rules to one Change Data Capture event (raw CometD message). A change event may
 * name several records and match several rules: each (rule, record) pair becomes one outbox row,
 * keyed by rule, record and the change's transaction key, so replays and failovers insert nothing
 * twice. An event no rule matches yields no decision (only the replay id advances).
 */
final class ChangeEventMapper {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SendRules rules;
  private final RecipientResolver recipients;
  private final TemplateCatalog templates;

  ChangeEventMapper(SendRules rules, RecipientResolver recipients, TemplateCatalog templates) {
    this.rules = rules;
    this.recipients = recipients;
    this.templates = templates;
  }

  /** Whether any rule names {@code entity} (an event of another object decides nothing). */
  boolean hasRuleFor(String entity) {
    for (SendRules.Rule rule : rules.rules()) {
      if (rule.object().equals(entity)) {
        return true;
      }
    }
    return false;
  }

  EventOutcome map(String raw, String topic, Long replayIdHeader) throws Exception {
    EventEnvelope env = new EventEnvelope(topic, replayIdHeader);
    JsonNode payload;
    JsonNode header;
    try {
      payload = env.read(raw).payload;
      header = payload.path("ChangeEventHeader");
      if (!header.isObject() || text(header, "entityName") == null) {
        throw new IllegalArgumentException("data.payload.ChangeEventHeader.entityName is missing");
      }
    } catch (Exception e) {
      return new EventOutcome(
          env.channel,
          env.replayId,
          List.of(
              new Decision.Reject(
                  "sf-cdc:" + env.channel + ":" + env.replayId,
                  "MALFORMED_PAYLOAD",
                  "event is not a change event message: " + e.getMessage(),
                  null,
                  null,
                  truncate(raw))));
    }
    String channel = env.channel;
    Long replayId = env.replayId;
    String entity = text(header, "entityName");
    String changeType = Optional.ofNullable(text(header, "changeType")).orElse("");
    String txKey = text(header, "transactionKey");
    String suffix =
        txKey != null
            ? txKey + ":" + header.path("sequenceNumber").asText("0")
            : channel + ":" + replayId;
    List<String> recordIds = new ArrayList<>();
    header.path("recordIds").forEach(n -> recordIds.add(n.asText()));

    List<Decision> out = new ArrayList<>();
    for (SendRules.Rule rule : rules.rules()) {
      if (!rule.object().equals(entity)
          || !rule.changeTypes().contains(changeType)
          || !conditionHolds(rule, header, payload)) {
        continue;
      }
      for (String recordId : recordIds) {
        String key = "sf-cdc:" + rule.id() + ":" + recordId + ":" + suffix;
        out.add(decide(rule, recordId, key, truncate(payload.toString())));
      }
    }
    return new EventOutcome(channel, replayId, out);
  }

  static boolean conditionHolds(SendRules.Rule rule, JsonNode header, JsonNode payload) {
    if (rule.field() == null) {
      return true;
    }
    // Update events carry only the fields that changed; changedFields lists them where present.
    JsonNode changed = header.path("changedFields");
    if (changed.isArray() && !changed.isEmpty()) {
      boolean listed = false;
      for (JsonNode f : changed) {
        listed |= f.asText().equals(rule.field());
      }
      if (!listed) {
        return false;
      }
    }
    JsonNode value = payload.get(rule.field());
    if (value == null) {
      return false;
    }
    return rule.changedTo() == null || (!value.isNull() && value.asText().equals(rule.changedTo()));
  }

  private Decision decide(SendRules.Rule rule, String recordId, String key, String payloadText)
      throws Exception {
    Map<String, Object> record = Map.of();
    List<String> fields = rule.fieldsToRead();
    if (!fields.isEmpty()) {
      record = recipients.fieldsOf(rule.object(), recordId, fields);
      if (record == null) {
        return reject(
            rule,
            key,
            "RECORD_NOT_FOUND",
            rule.object() + " " + recordId + " not found",
            recordId,
            payloadText);
      }
    }
    String phoneRecord = recordId;
    if (!rule.to().equals("self")) {
      Object ref = record.get(rule.to());
      if (ref == null || ref.toString().isBlank()) {
        return reject(
            rule,
            key,
            "NO_RECIPIENT",
            rule.object() + " " + recordId + " has no " + rule.to() + " to send to",
            recordId,
            payloadText);
      }
      phoneRecord = ref.toString();
    }
    RecipientResolver.Lookup found = recipients.phoneOf(phoneRecord);
    if (!found.ok()) {
      return reject(rule, key, found.reasonCode(), found.reason(), recordId, payloadText);
    }
    String body = null;
    String variables = null;
    if (rule.template() != null) {
      Optional<Set<String>> needed = templates.variables(rule.template());
      if (needed.isEmpty()) {
        return reject(
            rule,
            key,
            "UNKNOWN_TEMPLATE",
            "rule '" + rule.id() + "' names template '" + rule.template() + "', which is unknown",
            recordId,
            payloadText);
      }
      Map<String, String> values = new LinkedHashMap<>();
      for (Map.Entry<String, String> v : rule.variables().entrySet()) {
        Object val = record.get(v.getValue());
        values.put(v.getKey(), val == null ? "" : val.toString());
      }
      List<String> missing = needed.get().stream().filter(n -> !values.containsKey(n)).toList();
      if (!missing.isEmpty()) {
        return reject(
            rule,
            key,
            "MISSING_VARIABLES",
            "rule '" + rule.id() + "' gives no value for " + missing,
            recordId,
            payloadText);
      }
      variables = JSON.writeValueAsString(values);
    } else {
      body = render(rule.body(), record);
    }
    String to = found.phone();
    if (rule.channel().equals("whatsapp") && !to.startsWith("whatsapp:")) {
      to = "whatsapp:" + to;
    }
    return new Decision.Send(
        key, rule.channel(), to, body, rule.template(), variables, rule.object(), recordId);
  }

  static String render(String body, Map<String, Object> record) {
    Matcher m = SendRules.PLACEHOLDER.matcher(body);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      Object v = record.get(m.group(1));
      m.appendReplacement(out, Matcher.quoteReplacement(v == null ? "" : v.toString()));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static Decision.Reject reject(
      SendRules.Rule rule, String key, String code, String reason, String recordId, String p) {
    return new Decision.Reject(key, code, reason, rule.object(), recordId, p);
  }
}
