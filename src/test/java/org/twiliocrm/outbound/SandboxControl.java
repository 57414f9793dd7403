package org.twiliocrm.outbound;

import java.util.List;
import java.util.Map;
import org.twiliocrm.sandbox.twilio.TwilioSandbox;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;
import org.twiliocrm.testsupport.TestHttp;

/**
 * The control API (/sandbox/...) of a Twilio sandbox, for outbox tests: one of its own on a free
 * port, or the one a TestConnector started.
 */
final class SandboxControl implements AutoCloseable {
  final TwilioSandbox sandbox;
  private final boolean owned;
  private final TestHttp http = new TestHttp();

  /** The sandbox a running connector started; closing this leaves it to the connector. */
  SandboxControl(TwilioSandbox running) {
    sandbox = running;
    owned = false;
  }

  SandboxControl(Map<String, String> overrides) {
    Map<String, String> s = new java.util.HashMap<>();
    s.put("sandbox.twilio.port", "0");
    s.put("sandbox.twilio.event-loops", "2");
    s.put("sandbox.twilio.lifecycle.step-millis", "20");
    s.putAll(overrides);
    sandbox = TwilioSandbox.start(TwilioSandboxSettings.from(s::get));
    owned = true;
  }

  String baseUrl() {
    return sandbox.baseUrl();
  }

  Object call(String method, String path, Object body) {
    return TestHttp.parse(
        http.send(method, baseUrl() + path, TestHttp.JSON_TYPE, TestHttp.json(body)));
  }

  void faults(Map<String, Object> f) {
    call("PUT", "/sandbox/faults", f);
  }

  void clearFaults() {
    call("DELETE", "/sandbox/faults", null);
  }

  /** Messages the sandbox holds, optionally only those to one recipient. */
  @SuppressWarnings("unchecked")
  List<Map<String, Object>> messagesTo(String to) {
    Object r = call("GET", "/sandbox/messages", null);
    List<Map<String, Object>> all =
        r instanceof List<?> l
            ? (List<Map<String, Object>>) l
            : (List<Map<String, Object>>) ((Map<String, Object>) r).get("messages");
    return to == null ? all : all.stream().filter(m -> to.equals(m.get("to"))).toList();
  }

  /** POSTs to the Messages endpoint seen so far. */
  long messagePosts() {
    @SuppressWarnings("unchecked")
    Map<String, Object> counts = (Map<String, Object>) call("GET", "/sandbox/requests", null);
    Object v = counts.get("POST /2010-04-01/Accounts/" + OutboxNode.ACCOUNT + "/Messages.json");
    return v == null ? 0 : ((Number) v).longValue();
  }

  @Override
  public void close() {
    if (owned) {
      sandbox.close();
    }
  }
}
