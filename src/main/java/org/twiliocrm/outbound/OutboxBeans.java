package org.twiliocrm.outbound;

import com.twilio.http.TwilioRestClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import org.apache.camel.CamelContext;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.config.ConnectorConfig.Vendor;
import org.twiliocrm.db.Database;
import org.twiliocrm.governance.Approvals;
import org.twiliocrm.governance.Audit;
import org.twiliocrm.governance.ConsentChecker;
import org.twiliocrm.governance.ConsentLedger;
import org.twiliocrm.governance.GovernanceRuntime;
import org.twiliocrm.governance.GovernanceSettings;
import org.twiliocrm.governance.PhoneRules;
import org.twiliocrm.governance.Policies;
import org.twiliocrm.governance.PolicyLoader;
import org.twiliocrm.governance.RecipientPolicies;
import org.twiliocrm.governance.RecipientSettings;
import org.twiliocrm.governance.templates.TemplateApprovals;
import org.twiliocrm.governance.templates.TemplateFiles;
import org.twiliocrm.governance.templates.TemplateRuntime;
import org.twiliocrm.governance.templates.TemplateSettings;
import org.twiliocrm.senders.SenderInventory;
import org.twiliocrm.senders.SenderRegistry;
import org.twiliocrm.senders.SenderSettings;

/**
 * Binds the beans the outbox route ({@code routes/outbox-to-twilio.camel.yaml}) refers to by name
 * (the Twilio kamelets bind their own processors and find the TwilioRestClient by type):
 *
 * <ul>
 *   <li>{@code outboxSettings}, {@code outboxClaimer}, {@code outboxValidator}, {@code
 *       outboxSteps}, {@code outboxReconciler}, {@code outboxClassifier}, {@code outboxRecorder}
 *   <li>{@code policyGate}, {@code governancePolicies}, {@code approvals}, {@code governanceAudit}:
 *       the send approval gate (governance package)
 *   <li>{@code messageTemplates} (the files' current good set), {@code templateApprovals} (the
 *       approval API and the approved text), {@code templateRuntime} (reload, health, metrics)
 *   <li>{@code outboxRuntime}: a LifecycleStrategy that starts/stops the background threads
 * </ul>
 */
public final class OutboxBeans {
  private OutboxBeans() {}

  /**
   * Binds the outbox and its gates with their settings. A template file with errors throws; a bad
   * policy file throws {@link org.twiliocrm.governance.PolicyException} naming file:line. Besides
   * the beans above: {@code governancePolicies}, {@code policyGate}, {@code approvals} and {@code
   * governanceAudit} (the approval gate); {@code channelFallback} and the recipient checks'
   * (governance.recipients.*); {@code senderGate} (route step) and {@code senderRegistry} (the
   * cached inventory of the account's senders, governance.senders.*); {@code senderPacer} (route
   * step) and {@code pacingMetrics} (each sender's backlog at /observe/metrics, outbox.pacing.*).
   * {@code statusPredecessors} is the webhook flow's forward-only status rule ({@code
   * MessageStatus::predecessors}), which {@link SentLink} applies to outbox rows.
   */
  public static OutboxRuntime bind(
      BiConsumer<String, Object> registry,
      OutboxSettings s,
      TemplateSettings ts,
      GovernanceSettings g,
      FallbackSettings f,
      RecipientSettings rs,
      SenderSettings ss,
      PacingSettings ps,
      ConnectorConfig.Db dbConfig,
      Database db,
      TwilioRestClient twilio,
      java.util.function.Function<String, java.util.List<String>> statusPredecessors) {
    OutboxStore store = new OutboxStore(db.dataSource(), db.vendor());
    OutboxClaimer claimer = new OutboxClaimer(store, s);
    OutboxRecorder recorder = new OutboxRecorder(store, claimer, s);
    // A template file with errors stops start-up here, with file:line (the running connector's
    // reload keeps the last good set instead, see TemplateRuntime).
    TemplateFiles.Loaded loaded = TemplateFiles.load(s.templatesLocation(), ts.defaultLocale());
    if (!loaded.ok()) {
      throw new IllegalArgumentException(
          "templates in " + loaded.description() + " have errors:\n" + loaded.errorText());
    }
    Templates templates = new Templates(loaded.templates());
    TemplateApprovals approvals = new TemplateApprovals(db.dataSource());
    approvals.register(loaded.templates().values(), loaded.sources());
    approvals.refresh();
    AtomicReference<CamelContext> context = new AtomicReference<>();
    TemplateRuntime templateRuntime =
        new TemplateRuntime(
            s.templatesLocation(),
            ts.defaultLocale(),
            ts.reloadInterval(),
            approvals,
            loaded,
            l -> templates.replace(l.templates()),
            () -> {
              CamelContext c = context.get();
              return c == null ? null : c.getRegistry().findSingleByType(MeterRegistry.class);
            });
    PgNotifyListener listener =
        db.vendor() == Vendor.POSTGRESQL && s.listen()
            ? new PgNotifyListener(
                dbConfig.url(), dbConfig.user(), dbConfig.password(), claimer::wake)
            : null;
    OutboxRuntime runtime =
        new OutboxRuntime(claimer, recorder, listener, templateRuntime, context::set)
            .catalog(templates);
    // The send approval gate (docs/governance.md): the policy in force, its decisions and audit.
    Audit audit = new Audit(db.dataSource());
    Policies policies =
        new Policies(
            new PolicyLoader(n -> templates.find(n).isPresent(), g.approvalExpiry()),
            g.resolvedLocation(),
            audit);
    Approvals sendApprovals = new Approvals(db.dataSource(), db.vendor());
    sendApprovals.onRelease(claimer::wake);
    GovernanceRuntime governance =
        new GovernanceRuntime(policies, sendApprovals, g.reloadInterval().toMillis());
    runtime.alsoStart(governance::start).closeAfter(governance);
    registry.accept("governancePolicies", policies);
    registry.accept("governanceAudit", audit);
    registry.accept("approvals", sendApprovals);
    registry.accept("governanceRuntime", governance);
    registry.accept(
        "policyGate",
        // The version the first-send rule sees is the one that is sent: the last approved one.
        new PolicyGate(
            db.dataSource(),
            db.vendor(),
            policies,
            s.instanceId(),
            n -> approvals.approvedVersion(n).orElse(null)));
    bindRecipientChecks(registry, s, db, claimer, runtime, g, rs, audit, context);
    // The sender check (docs/governance.md#senders): the account's senders, cached and refreshed.
    SenderRegistry senders = null;
    if (ss.enabled()) {
      SenderRegistry r =
          new SenderRegistry(() -> SenderInventory.load(twilio), ss.refreshInterval());
      runtime.alsoStart(r::start).closeAfter(r);
      senders = r;
    }
    registry.accept("senderRegistry", senders == null ? "disabled" : senders);
    registry.accept("senderGate", new SenderGate(db.dataSource(), senders));
    // Sender pacing (docs/outbox.md#sender-pacing): slots booked in the shared database.
    SenderPacer pacer =
        new SenderPacer(db.dataSource(), db.vendor(), ps, s.instanceId(), claimer::wake);
    PacingMetrics pacingMetrics =
        new PacingMetrics(
            db.dataSource(),
            db.vendor(),
            ps,
            () -> {
              CamelContext c = context.get();
              return c == null ? null : c.getRegistry().findSingleByType(MeterRegistry.class);
            });
    runtime.alsoStart(pacer::start).closeAfter(pacer);
    runtime.alsoStart(pacingMetrics::start).closeAfter(pacingMetrics);
    registry.accept("senderPacer", pacer);
    registry.accept("pacingMetrics", pacingMetrics);
    registry.accept("outboxSettings", s);
    registry.accept("outboxStore", store);
    registry.accept("outboxClaimer", claimer);
    registry.accept(
        "outboxValidator",
        new MessageValidator(
            new PhoneRules(s.defaultRegion()),
            templates,
            approvals,
            s.maxSegments(),
            s.verifyServiceSid()));
    registry.accept("messageTemplates", templates);
    registry.accept("templateApprovals", approvals);
    registry.accept("templateRuntime", templateRuntime);
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
    // Channel fallback (docs/outbox.md#channel-fallback): a step of the send route and of the
    // webhook events route; the result writer tells it about rows recorded after their status.
    ChannelFallback fallback = new ChannelFallback(db.dataSource(), db.vendor(), f, approvals);
    // A record whose first status was stored before its SID gets the row's text and CRM link
    // (SentLink); it never throws, so the fallback's trigger always runs after it.
    SentLink sentLink = new SentLink(db.dataSource(), statusPredecessors);
    recorder.afterWrite(
        results -> {
          sentLink.afterRecorded(results);
          fallback.afterRecorded(results);
        });
    registry.accept("channelFallback", fallback);
    registry.accept("outboxRuntime", runtime);
    return runtime;
  }

  /**
   * The recipient checks (issue 14, governance/recipients.yaml): {@code recipientPolicies}, {@code
   * recipientGate} (route step) and {@code recipientRuntime} (releases timed holds, reloads the
   * file). A bad file throws {@link org.twiliocrm.governance.PolicyException} naming file:line.
   */
  private static void bindRecipientChecks(
      BiConsumer<String, Object> registry,
      OutboxSettings s,
      Database db,
      OutboxClaimer claimer,
      OutboxRuntime runtime,
      GovernanceSettings g,
      RecipientSettings rs,
      Audit audit,
      AtomicReference<CamelContext> context) {
    RecipientPolicies recipients = new RecipientPolicies(rs.resolvedLocation(), audit);
    RecipientGate gate =
        new RecipientGate(
            db.dataSource(),
            db.vendor(),
            recipients,
            s.instanceId(),
            () -> {
              CamelContext c = context.get();
              return c == null ? null : c.getRegistry().findSingleByType(MeterRegistry.class);
            });
    RecipientRuntime rr =
        new RecipientRuntime(
            recipients,
            new TimedHolds(db.dataSource(), db.vendor()),
            gate,
            claimer::wake,
            s.pollInterval().toMillis(),
            g.reloadInterval().toMillis());
    runtime.alsoStart(rr::start).closeAfter(rr);
    registry.accept("recipientPolicies", recipients);
    registry.accept("recipientGate", gate);
    registry.accept("recipientRuntime", rr);
    registry.accept("consentLedger", new ConsentLedger(db.dataSource()));
    // Consent made in Salesforce (routes/crm-consent-sync.camel.yaml, on the CRM events leader).
    registry.accept(
        "crmConsentSync",
        new org.twiliocrm.governance.CrmConsentSync(
            db.dataSource(), recipients, new PhoneRules(s.defaultRegion())));
    registry.accept(
        "consentRequests",
        new org.twiliocrm.governance.ConsentRequests(
            db.dataSource(),
            recipients,
            new PhoneRules(s.defaultRegion()),
            java.time.Clock.systemUTC()));
  }
}
