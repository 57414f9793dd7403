package org.twiliocrm.crm.events;

import java.lang.reflect.Field;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.component.salesforce.SalesforceComponent;
import org.apache.camel.component.salesforce.StreamingApiConsumer;
import org.apache.camel.component.salesforce.internal.streaming.SubscriptionHelper;
import org.apache.camel.support.service.ServiceHelper;

/**
 * The {@code salesforce} component, with its CometD (streaming) client held only while a
 * subscription consumer runs.
 *
 * <p>In camel-salesforce 4.17 every {@code salesforce:subscribe} consumer, even of a route that is
 * never started, creates the component's SubscriptionHelper, and {@code
 * SalesforceComponent.doStart} then starts it: a login, a CometD handshake and a /meta/connect poll
 * for as long as the process runs. Stopping a consumer only unsubscribes its channel; the session
 * stays. So every replica handshook, and a leader that stepped down kept its session.
 *
 * <p>Here the helper is this class's own (the superclass never sees one, so never starts it): a
 * consumer starts it when its route starts, as camel-salesforce does, and the last consumer to stop
 * stops it, which disconnects the CometD client. Stopping does not log the component's shared
 * session out (the stock helper does), so REST calls of the same process keep their token.
 */
// The annotation is how Camel finds the generated component and endpoint configurers (it is not
// inherited): without it, camel.component.salesforce.* and endpoint options do not bind.
@org.apache.camel.spi.annotations.Component("salesforce")
public final class LeaderOnlyStreamingComponent extends SalesforceComponent {
  private volatile Helper helper;

  @Override
  public SubscriptionHelper getSubscriptionHelper() {
    Helper h = helper;
    if (h == null) {
      synchronized (this) {
        if (helper == null) {
          helper = new Helper(this);
        }
        h = helper;
      }
    }
    return h;
  }

  /** Whether the CometD client is up (for tests and the leader's log). */
  public boolean streaming() {
    Helper h = helper;
    return h != null && h.isStarted();
  }

  @Override
  protected void doStop() throws Exception {
    Helper h = helper;
    if (h != null) {
      ServiceHelper.stopService(h);
    }
    super.doStop();
  }

  /** Counts the consumers subscribed through it; the last one out stops it. */
  static final class Helper extends SubscriptionHelper {
    private static final Field SESSION = field("session");
    private final Set<StreamingApiConsumer> consumers = ConcurrentHashMap.newKeySet();

    Helper(SalesforceComponent component) {
      super(component);
    }

    @Override
    public void subscribe(StreamingApiConsumer consumer) {
      consumers.add(consumer);
      super.subscribe(consumer);
    }

    @Override
    public void unsubscribe(StreamingApiConsumer consumer) {
      super.unsubscribe(consumer);
      if (consumers.remove(consumer) && consumers.isEmpty()) {
        ServiceHelper.stopService(this);
      }
    }

    @Override
    protected void doStop() throws Exception {
      // The stock doStop ends with session.logout(), which revokes the token the whole component
      // (REST producers included) shares. doStart sets the field again from the component.
      SESSION.set(this, null);
      super.doStop();
    }

    private static Field field(String name) {
      try {
        Field f = SubscriptionHelper.class.getDeclaredField(name);
        f.setAccessible(true);
        return f;
      } catch (ReflectiveOperationException | RuntimeException e) {
        throw new IllegalStateException(
            "camel-salesforce internals changed: SubscriptionHelper." + name + " not found", e);
      }
    }
  }
}
