package org.twiliocrm.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;
import org.junit.jupiter.api.Test;
import org.twiliocrm.testsupport.TestConnector;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * The webhook edge (body limit, form reading, refusals without stack traces) is on the HTTP
 * server's router before any webhook route can take a request. It used to be installed once Camel
 * had started, after every route: a request that reached a webhook route in between met Vert.x's
 * own body handler, and an oversized form logged "Unhandled exception in router" with a stack
 * trace. Checked at the moment each webhook route starts, on the connector as shipped.
 */
class WebhookEdgeStartupIT {

  /** Records, as each route starts, whether the edge was installed by then. */
  static final class EdgeAtRouteStart extends EventNotifierSupport {
    final Map<String, Boolean> seen = new ConcurrentHashMap<>();

    @Override
    public boolean isEnabled(CamelEvent event) {
      return event instanceof CamelEvent.RouteStartingEvent;
    }

    @Override
    public void notify(CamelEvent event) {
      org.apache.camel.Route route = ((CamelEvent.RouteStartingEvent) event).getRoute();
      CamelContext ctx = route.getCamelContext();
      WebhookEdge edge =
          ctx.getRegistry().lookupByNameAndType("twilioWebhookEdge", WebhookEdge.class);
      seen.put(route.getRouteId(), edge != null && edge.installed());
    }
  }

  @Test
  void theEdgeIsInstalledBeforeAnyWebhookRouteStarts() throws Exception {
    EdgeAtRouteStart probe = new EdgeAtRouteStart();
    try (TestDatabase db = TestDatabase.h2("edge-startup");
        TestConnector connector =
            TestConnector.on(db)
                .property("outbox.enabled", "false")
                .property("crm.events.enabled", "false")
                .bind("edgeAtRouteStart", probe)
                .start()) {
      assertThat(probe.seen)
          .as("webhook routes seen starting")
          .containsKeys(
              "twilio-message-status",
              "twilio-inbound-message",
              "twilio-call-status",
              "twilio-call-twiml");
      assertThat(probe.seen)
          .allSatisfy((route, installed) -> assertThat(installed).as(route).isTrue());
    }
  }
}
