package org.twiliocrm.outbound;

import com.twilio.http.TwilioRestClient;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.config.ConnectorConfig.Vendor;
import org.twiliocrm.config.Mode;
import org.twiliocrm.db.Database;
import org.twiliocrm.governance.ConsentChecker;
import org.twiliocrm.governance.PhoneRules;
import org.twiliocrm.twilio.TwilioClientFactory;
import org.twiliocrm.twilio.TwilioClientSettings;

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
  /** The sandbox's built-in account (see sandbox.twilio.accounts). */
  static final String SANDBOX_ACCOUNT = "AC00000000000000000000000000000000";

  static final String SANDBOX_TOKEN = "sandbox-auth-token";

  private OutboxBeans() {}

  /**
   * The factory of the one TwilioRestClient: real Twilio in live mode, the local sandbox (its
   * default account, {@code twilio.base-url} or {@code http://127.0.0.1:<sandbox.twilio.port>}) in
   * sandbox mode. Hidden retries are off either way (see TwilioClientFactory).
   */
  public static TwilioClientFactory twilioClientFactory(
      Function<String, String> lookup, ConnectorConfig cfg) {
    Function<String, String> effective = lookup;
    if (cfg.mode() == Mode.SANDBOX) {
      String port = blankToNull(lookup.apply("sandbox.twilio.port"));
      String base =
          blankToNull(lookup.apply("twilio.base-url")) != null
              ? lookup.apply("twilio.base-url")
              : "http://127.0.0.1:" + (port == null || port.equals("0") ? "8089" : port);
      effective =
          k ->
              switch (k) {
                case "twilio.base-url" -> base;
                // The running connector derives these from the started sandbox; the validate
                // command starts none, so the sandbox's defaults stand in.
                case "twilio.account-sid" -> orElse(lookup.apply(k), SANDBOX_ACCOUNT);
                case "twilio.auth-token" -> orElse(lookup.apply(k), SANDBOX_TOKEN);
                case "twilio.api-key", "twilio.api-secret" -> null;
                default -> blankToNull(lookup.apply(k));
              };
    } else {
      effective = k -> blankToNull(lookup.apply(k));
    }
    return new TwilioClientFactory(TwilioClientSettings.from(effective));
  }

  private static String orElse(String v, String def) {
    return blankToNull(v) == null ? def : v.trim();
  }

  private static String blankToNull(String v) {
    return v == null || v.isBlank() ? null : v.trim();
  }

  public static OutboxRuntime bind(
      BiConsumer<String, Object> registry,
      Function<String, String> lookup,
      ConnectorConfig.Db dbConfig,
      Database db,
      TwilioRestClient twilio) {
    OutboxSettings s = OutboxSettings.from(lookup);
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
            new org.twiliocrm.config.Settings(lookup)
                .httpUrl("outbox.call-status-callback-url", s.statusCallbackUrl())));
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
