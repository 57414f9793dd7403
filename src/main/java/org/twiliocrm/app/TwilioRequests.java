package org.twiliocrm.app;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the connector asked Twilio to do, as a flow test's {@code twilio:} expectation sees it: the
 * Twilio sandbox's inspection lists of messages, calls and verifications, each made into one flat
 * record with a {@code kind} and a {@code channel}, so one list of partial records describes them
 * all (docs/flow-tests.md):
 *
 * <ul>
 *   <li>message: to, from, body, channel (sms, mms, whatsapp), status, error_code;
 *   <li>call: to, from, channel voice, say (the text of every {@code <Say>} the call spoke, joined
 *       by a space), twiml (as sent), status, answered_by;
 *   <li>verification: to, channel (the Verify channel: sms, call, whatsapp, email), status
 *       (pending, approved, canceled).
 * </ul>
 */
final class TwilioRequests {
  private TwilioRequests() {}

  /** Every request the lists hold, minus those whose sid is in {@code seen}. */
  static List<Map<String, Object>> of(
      List<?> messages, List<?> calls, List<?> verifications, Set<String> seen) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object o : messages) {
      Map<String, Object> m = FlowTestFile.stringKeys(o);
      if (!String.valueOf(m.get("direction")).startsWith("outbound-api") || isSeen(m, seen)) {
        continue;
      }
      String to = String.valueOf(m.get("to"));
      Map<String, Object> n = new LinkedHashMap<>();
      n.put("kind", "message");
      n.put("to", to);
      n.put("from", m.get("from"));
      n.put("body", m.get("body"));
      Object media = m.get("media_urls");
      n.put(
          "channel",
          to.startsWith("whatsapp:")
              ? "whatsapp"
              : media instanceof List<?> ml && !ml.isEmpty() ? "mms" : "sms");
      n.put("status", m.get("status"));
      n.put("error_code", m.get("error_code"));
      n.put("sid", m.get("sid"));
      out.add(n);
    }
    for (Object o : calls) {
      Map<String, Object> c = FlowTestFile.stringKeys(o);
      if (isSeen(c, seen)) {
        continue;
      }
      Map<String, Object> n = new LinkedHashMap<>();
      n.put("kind", "call");
      n.put("to", c.get("to"));
      n.put("from", c.get("from"));
      n.put("channel", "voice");
      List<String> said = new ArrayList<>();
      if (c.get("said") instanceof List<?> l) {
        l.forEach(x -> said.add(String.valueOf(x)));
      }
      n.put("say", said.isEmpty() ? null : String.join(" ", said));
      n.put("twiml", c.get("twiml"));
      n.put("status", c.get("status"));
      n.put("answered_by", c.get("answered_by"));
      n.put("sid", c.get("sid"));
      out.add(n);
    }
    for (Object o : verifications) {
      Map<String, Object> v = FlowTestFile.stringKeys(o);
      if (isSeen(v, seen)) {
        continue;
      }
      Map<String, Object> n = new LinkedHashMap<>();
      n.put("kind", "verification");
      n.put("to", v.get("to"));
      n.put("channel", v.get("channel"));
      n.put("status", v.get("status"));
      n.put("sid", v.get("sid"));
      out.add(n);
    }
    return out;
  }

  private static boolean isSeen(Map<String, Object> m, Set<String> seen) {
    return seen.contains(String.valueOf(m.get("sid")));
  }
}
