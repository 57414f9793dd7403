package org.twiliocrm.crm;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A field mapping written as a kamelet property in a route's YAML: {@code
 * SalesforceField=source,...}, where a source is a name from {@link #MESSAGE_SOURCES} or {@link
 * #TASK_SOURCES}, or {@code 'text'} in single quotes for a constant. Kept in YAML so an integration
 * engineer changes objects and fields without touching Java; parsed and checked when the sink is
 * built (and by the validate command), never first at run time.
 */
public record FieldMapping(Map<String, String> fields) {
  /** What a message record offers (message_state). */
  public static final List<String> MESSAGE_SOURCES =
      List.of(
          "sid",
          "direction",
          "channel",
          "status",
          "errorCode",
          "from",
          "to",
          "body",
          "segments",
          "sentAt",
          "deliveredAt",
          "createdAt",
          "accountSid",
          "answeredBy",
          "duration",
          "fallbackParentSid",
          "fallbackStep",
          "fallbackReason",
          "fallbackChain");

  /** What a Task (an inbound reply or a finished call) offers (crm_action). */
  public static final List<String> TASK_SOURCES = List.of("subject", "detail", "phone", "sid");

  /**
   * Parses {@code A=b, C=d} into {A: b, C: d}, in order; blank items are skipped.
   *
   * @param what the property's name, for the error message
   * @param sources the names a source may take; null when any value is allowed (links)
   * @throws IllegalArgumentException naming the property and the bad item
   */
  public static FieldMapping parse(String what, String spec, List<String> sources) {
    Map<String, String> out = new LinkedHashMap<>();
    if (spec == null) {
      return new FieldMapping(out);
    }
    for (String item : spec.split(",")) {
      if (item.isBlank()) {
        continue;
      }
      int eq = item.indexOf('=');
      if (eq <= 0 || eq == item.trim().length() - 1) {
        throw new IllegalArgumentException(
            what + ": each item must read SalesforceField=source, got '" + item.trim() + "'");
      }
      String field = item.substring(0, eq).trim();
      String source = item.substring(eq + 1).trim();
      if (sources != null && !constant(source) && !sources.contains(source)) {
        throw new IllegalArgumentException(
            what
                + ": unknown source '"
                + source
                + "' for "
                + field
                + "; use one of "
                + sources
                + " or a 'constant'");
      }
      if (out.put(field, source) != null) {
        throw new IllegalArgumentException(what + ": field " + field + " is mapped twice");
      }
    }
    return new FieldMapping(out);
  }

  public boolean has(String key) {
    return fields.containsKey(key);
  }

  public String get(String key) {
    return fields.get(key);
  }

  /** Writes each mapped field into the record from {@code src}. */
  public void apply(ObjectNode record, Map<String, Object> src) {
    for (Map.Entry<String, String> f : fields.entrySet()) {
      String source = f.getValue();
      Object v = constant(source) ? source.substring(1, source.length() - 1) : src.get(source);
      if (v == null) {
        record.putNull(f.getKey());
      } else if (v instanceof Integer i) {
        record.put(f.getKey(), i);
      } else if (v instanceof Long l) {
        record.put(f.getKey(), l);
      } else {
        record.put(f.getKey(), v.toString());
      }
    }
  }

  private static boolean constant(String source) {
    return source.length() >= 2 && source.startsWith("'") && source.endsWith("'");
  }
}
