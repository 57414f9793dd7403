package org.twiliocrm.outbound;

import com.twilio.http.TwilioRestClient;
import java.util.function.BiConsumer;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.config.ConnectorConfig.Vendor;
import org.twiliocrm.db.Database;
import org.twiliocrm.governance.ConsentChecker;
import org.twiliocrm.governance.PhoneRules;

/**
 * Binds the beans the outbox route ({@code routes/outbox-to-twilio.camel.yaml}) refers to by name
 * (the Twilio kamelets bind their own processors and find the TwilioRestClient by type):
 *
 * <ul>
 *   <li>{@code outboxSettings}, {@code outboxClaimer}, {@code outboxValidator}, {@code
 *       outboxSteps}, {@code outboxReconciler}, {@code outboxClassifier}, {@code outboxRecorder}
 *   <li>{@code outboxRuntime}: a LifecycleStrategy that starts/stops the background threads
 * </ul>
 */
public final class OutboxBeans {
  private OutboxBeans() {}

  public static OutboxRuntime bind(
      BiConsumer<String, Object> registry,
      OutboxSettings s,
      ConnectorConfig.Db dbConfig,
      Database db,
      TwilioRestClient twilio) {
    OutboxStore store = new OutboxStore(db.dataSource(), db.vendor());
    OutboxClaimer claimer = new OutboxClaimer(store, s);
    OutboxRecorder recorder = new OutboxRecorder(store, claimer, s);
    Templates templates = Templates.load(s.templatesLocation());
    PgNotifyListener listener =
        db.vendor() == Vendor.POSTGRESQL && s.listen()
            ? new PgNotifyListener(
                dbConfig.url(), dbConfig.user(), dbConfig.password(), claimer::wake)
            : null;
    OutboxRuntime runtime = new OutboxRuntime(claimer, recorder, listener);
    registry.accept("outboxSettings", s);
    registry.accept("outboxStore", store);
    registry.accept("outboxClaimer", claimer);
    registry.accept(
        "outboxValidator",
        new MessageValidator(
            new PhoneRules(s.defaultRegion()), templates, s.maxSegments(), s.verifyServiceSid()));
    registry.accept(
        "outboxSteps",
        new OutboxSteps(
            new ConsentChecker(db.dataSource()),
            s.statusCallbackUrl(),
            s.verifyServiceSid(),
            s.callStatusCallbackUrl()));
    registry.accept(
        "outboxReconciler", new Reconciler(twilio, s.reconcilePolicy(), s.reconcileWindow()));
    registry.accept(
        "outboxClassifier",
        new OutcomeClassifier(
            s.maxAttempts(), s.backoffInitial(), s.backoffMax(), s.reconcileDelay()));
    registry.accept("outboxRecorder", recorder);
    registry.accept("outboxRuntime", runtime);
    return runtime;
  }
}
