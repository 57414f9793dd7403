package org.twiliocrm.crm.events;

import java.lang.reflect.Field;
import org.apache.camel.component.salesforce.internal.streaming.ReplayExtension;
import org.apache.camel.component.salesforce.internal.streaming.SubscriptionHelper;
import org.cometd.client.BayeuxClient;

/**
 * Reaches two internals of camel-salesforce 4.17's CometD consumer that the resume logic needs.
 *
 * <p>1. The replay extension is a JVM-wide static map (channel -> replay id) that camel-salesforce
 * fills with {@code putIfAbsent} at subscribe time and then with every RECEIVED event. When the
 * subscription restarts inside the same JVM (leadership regained, route restarted) it would resume
 * after the last received event, not the last committed one, and ignore our stored id. Pinning the
 * map to the committed id right before the route starts closes that hole.
 *
 * <p>2. camel-salesforce falls back to {@code fallBackReplayId} on "replayId ... invalid" quietly
 * (a WARN in its log). To log the gap ourselves, count it and record it, we listen on the CometD
 * client's /meta/subscribe replies.
 *
 * <p>Checked against camel-salesforce 4.17.0; a Camel upgrade must re-check these field names
 * (ReplayPinsTest fails if they change).
 */
final class ReplayPins {
  private ReplayPins() {}

  static void pin(String channel, long replayId) {
    extension().setReplayId(channel, replayId);
  }

  static ReplayExtension extension() {
    return (ReplayExtension) read(null, "REPLAY_EXTENSION");
  }

  static BayeuxClient client(SubscriptionHelper helper) {
    return (BayeuxClient) read(helper, "client");
  }

  private static Object read(Object target, String name) {
    try {
      Field f = SubscriptionHelper.class.getDeclaredField(name);
      f.setAccessible(true);
      return f.get(target);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException(
          "camel-salesforce internals changed: SubscriptionHelper." + name + " not readable", e);
    }
  }
}
