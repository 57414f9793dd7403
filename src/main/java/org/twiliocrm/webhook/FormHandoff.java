package org.twiliocrm.webhook;

import io.vertx.core.http.HttpServerRequest;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hands a webhook's decoded form from the webhook edge, which reads and decodes the body on the
 * event loop, to the gate, which checks it on a worker thread, keyed by the request itself.
 *
 * <p>Why not through Vert.x's form attributes, where a body handler would put the fields: Camel's
 * platform-http consumer copies every form attribute into a Camel header (a case-insensitive
 * TreeMap) and into a map body, and the gate then copied that map once more. Those copies were
 * about a tenth of the connector's CPU per callback (JFR, issue 20), and nothing reads the fields
 * as headers. Vert.x's form attributes also merge names that differ only in case, which breaks
 * Twilio's case-sensitive signature; the decoded form keeps every name as sent.
 *
 * <p>An entry lives from the end of the body to the gate ({@link #take}); if the request ends
 * without reaching the gate (a suspended route, a closed connection), the edge's end handler drops
 * it, so nothing accumulates.
 */
public final class FormHandoff {
  // Identity: a request is its own key (Vert.x requests do not define equals), and the lock is
  // held only for a put or a remove.
  private final Map<HttpServerRequest, Map<String, List<String>>> forms = new IdentityHashMap<>();

  void put(HttpServerRequest request, Map<String, List<String>> form) {
    synchronized (forms) {
      forms.put(request, form);
    }
  }

  /** The decoded form of the request, removed; null when the edge did not decode this request. */
  public Map<String, List<String>> take(HttpServerRequest request) {
    synchronized (forms) {
      return forms.remove(request);
    }
  }

  /** Forms decoded and not yet taken (for tests: none are left once requests have ended). */
  public int pending() {
    synchronized (forms) {
      return forms.size();
    }
  }
}
