package org.twiliocrm.sandbox.twilio;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** One entry of a resource's history: a status change, a callback attempt, a TwiML step... */
record Event(Instant at, String type, Map<String, Object> details) {

  static Event of(String type, Object... kv) {
    Map<String, Object> d = new LinkedHashMap<>();
    for (int i = 0; i + 1 < kv.length; i += 2) {
      d.put((String) kv[i], kv[i + 1]);
    }
    return new Event(Instant.now(), type, d);
  }

  Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("at", at.toString());
    m.put("type", type);
    m.putAll(details);
    return m;
  }
}
