package org.twiliocrm.app;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.ConfigException;
import org.twiliocrm.config.ConfigSource;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.config.Key;
import org.twiliocrm.config.Mode;
import org.twiliocrm.crm.events.CrmEventsSettings;
import org.twiliocrm.crm.events.SendRules;
import org.twiliocrm.crm.metadata.SalesforcePackage;
import org.twiliocrm.outbound.OutboxSettings;
import org.twiliocrm.preflight.Check;
import org.twiliocrm.preflight.DatabaseChecks;
import org.twiliocrm.preflight.KubernetesChecks;
import org.twiliocrm.preflight.PreflightReport;
import org.twiliocrm.preflight.SalesforceChecks;
import org.twiliocrm.preflight.TwilioChecks;
import org.twiliocrm.sandbox.salesforce.SalesforceSandboxSettings;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;
import org.twiliocrm.twilio.TwilioClientFactory;
import org.twiliocrm.twilio.TwilioClientSettings;

/**
 * {@code java -jar twilio-crm-connector.jar preflight}: checks the database, the Twilio account,
 * the Salesforce org (against the package in {@code salesforce/}) and, in a pod, Kubernetes, and
 * prints a ✓/✗ table with the fix of each failure. Exit 0 only when every required check passed, so
 * it can gate a deployment (Job, init container). In sandbox mode it checks the emulators: the
 * running connector's when they answer on their ports, else its own for the duration of the run.
 */
final class PreflightCommand {
  private PreflightCommand() {}

  static int run(PrintStream out, PrintStream err) {
    // The table is the output: the emulators' and clients' INFO logs would only interleave it.
    if (LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)
        instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(ch.qos.logback.classic.Level.WARN);
    }
    ConfigSource source;
    ConnectorConfig cfg;
    try {
      source = ConfigSource.load();
      cfg = ConnectorConfig.from(source);
    } catch (ConfigException e) {
      err.println("Configuration error: " + e.getMessage());
      return 2;
    }
    boolean live = cfg.mode() == Mode.LIVE;
    Map<String, String> derived = new LinkedHashMap<>();
    Sandboxes own = null;
    try {
      if (!live) {
        own = sandboxes(source, cfg, derived);
      } else {
        derived.putAll(LiveClients.salesforceComponentProperties(cfg.salesforce()));
      }
      Function<String, String> lookup = lookup(derived, source);
      out.println(
          "Preflight of the Twilio CRM connector in "
              + cfg.mode()
              + " mode"
              + (live
                  ? ""
                  : " (checking the sandboxes"
                      + (own != null ? ", started for this run)" : " of the running connector)")));
      out.println();
      List<Check> checks = new ArrayList<>(checks(lookup, source, cfg, derived, live));
      PreflightReport report = new PreflightReport(checks, secrets(source, derived));
      out.print(report.render());
      return report.exitCode();
    } catch (RuntimeException e) {
      // Anything unforeseen: one readable line, never a stack trace (and never a secret).
      PreflightReport empty = new PreflightReport(List.of(), secrets(source, derived));
      err.println(
          empty.mask(
              "Preflight could not run: " + e.getClass().getSimpleName() + ": " + e.getMessage()));
      return 1;
    } finally {
      if (own != null) {
        own.close();
      }
    }
  }

  static List<Check> checks(
      Function<String, String> lookup,
      ConfigSource source,
      ConnectorConfig cfg,
      Map<String, String> derived,
      boolean live) {
    List<Check> checks = new ArrayList<>(new DatabaseChecks(cfg.db(), live).run());
    checks.addAll(twilio(lookup, cfg, live));
    checks.addAll(salesforce(lookup, derived).run());
    checks.addAll(kubernetes(lookup));
    return checks;
  }

  private static List<Check> twilio(
      Function<String, String> lookup, ConnectorConfig cfg, boolean live) {
    TwilioClientSettings ts;
    try {
      ts = TwilioClientSettings.from(lookup);
    } catch (IllegalArgumentException e) {
      return List.of(Check.fail("Twilio", "configuration", e.getMessage(), "fix the named key"));
    }
    String sender;
    String channel;
    String callback;
    try {
      sender = CrmEventsSettings.SENDER.read(lookup);
      channel = CrmEventsSettings.DEFAULT_CHANNEL.read(lookup);
      callback = OutboxSettings.STATUS_CALLBACK_URL.read(lookup);
    } catch (IllegalArgumentException e) {
      return List.of(Check.fail("Twilio", "configuration", e.getMessage(), "fix the named key"));
    }
    try (TwilioClientFactory factory = new TwilioClientFactory(ts)) {
      String publicUrl = cfg.http().publicUrl();
      return new TwilioChecks(
              factory.create(),
              ts.accountSid(),
              sender == null ? List.of() : List.of(sender),
              channel,
              publicUrl,
              callback == null
                  ? ts.region().callbackUrl(publicUrl + "/webhooks/twilio/message-status")
                  : callback,
              live)
          .run();
    }
  }

  static SalesforceChecks salesforce(Function<String, String> lookup, Map<String, String> derived) {
    Map<String, String> props = new HashMap<>();
    derived.forEach(
        (k, v) -> {
          if (k.startsWith("camel.component.salesforce.")) {
            props.put(k, v);
          }
        });
    Set<String> watched = new LinkedHashSet<>();
    if (CrmEventsSettings.ENABLED.read(lookup)) {
      SendRules rules =
          SendRules.load(
              CrmEventsSettings.RULES_LOCATION.read(lookup),
              CrmEventsSettings.DEFAULT_CHANNEL.read(lookup));
      rules.rules().forEach(r -> watched.add(r.object()));
    }
    return new SalesforceChecks(
        props,
        SalesforcePackage.bundled(),
        watched,
        org.twiliocrm.preflight.PreflightSettings.API_HEADROOM_PERCENT.read(lookup));
  }

  private static List<Check> kubernetes(Function<String, String> lookup) {
    List<String> folders = new ArrayList<>();
    for (Key<String> k :
        List.of(ConnectorConfig.ROUTES_LOCATION, ConnectorConfig.KAMELETS_LOCATION)) {
      String v = k.read(lookup);
      if (v != null && !v.startsWith("classpath:")) {
        folders.add(v.startsWith("file:") ? v.substring(5) : v);
      }
    }
    String file = System.getenv(ConfigSource.CONFIG_FILE_ENV);
    if (file != null && !file.isBlank()) {
      folders.add(Path.of(file).toString());
    }
    return new KubernetesChecks(
            System.getenv(),
            CrmEventsSettings.LEADER_MODE.read(lookup),
            CrmEventsSettings.LEADER_K8S_NAMESPACE.read(lookup),
            CrmEventsSettings.LEADER_K8S_MASTER_URL.read(lookup),
            CrmEventsSettings.LEADER_K8S_LEASE_NAME.read(lookup),
            folders)
        .run();
  }

  /**
   * The configuration a check reads: the values derived for this run (the emulators' addresses)
   * over the configured ones; a blank value counts as unset.
   */
  static Function<String, String> lookup(Map<String, String> derived, ConfigSource source) {
    return k -> {
      String v = derived.get(k);
      if (v == null) {
        v = source.get(k);
      }
      return v == null || v.isBlank() ? null : v;
    };
  }

  /**
   * Points the checks at the emulators. When the running connector's emulators answer on their
   * configured ports they are checked as they are (so what was changed through their control APIs
   * shows); otherwise this run starts its own.
   */
  static Sandboxes sandboxes(
      ConfigSource source, ConnectorConfig cfg, Map<String, String> derived) {
    Function<String, String> lookup = source::get;
    SalesforceSandboxSettings ss = SalesforceSandboxSettings.from(lookup);
    TwilioSandboxSettings ts = TwilioSandboxSettings.from(lookup);
    if (ss.port() > 0
        && ts.port() > 0
        && answers(ss.host(), ss.port())
        && answers(ts.host(), ts.port())) {
      String sfBase =
          ss.publicUrl().isBlank() ? "http://" + ss.host() + ":" + ss.port() : ss.publicUrl();
      String account = ts.accounts().keySet().iterator().next();
      derived.put("twilio.base-url", "http://" + ts.host() + ":" + ts.port());
      derived.put("twilio.account-sid", account);
      derived.put("twilio.auth-token", ts.accounts().get(account));
      derived.put("camel.component.salesforce.loginUrl", sfBase.replaceAll("/+$", ""));
      derived.put("camel.component.salesforce.authenticationType", "USERNAME_PASSWORD");
      derived.put("camel.component.salesforce.clientId", ss.clientId());
      derived.put("camel.component.salesforce.clientSecret", ss.clientSecret());
      derived.put("camel.component.salesforce.userName", ss.username());
      derived.put("camel.component.salesforce.password", ss.password() + ss.securityToken());
      String sender = source.get(CrmEventsSettings.SENDER.name());
      if (sender == null || sender.isBlank()) {
        derived.put(CrmEventsSettings.SENDER.name(), ts.numbers().get(0));
      }
      return null;
    }
    Sandboxes s = Sandboxes.start(lookup, cfg);
    derived.putAll(s.derivedProperties());
    return s;
  }

  private static boolean answers(String host, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 500);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  private static Set<String> secrets(ConfigSource source, Map<String, String> derived) {
    Set<String> out = new LinkedHashSet<>();
    Map<String, String> all = new HashMap<>(source.asMap());
    all.putAll(derived);
    all.forEach(
        (k, v) -> {
          String key = k.toLowerCase();
          if (v != null
              && (key.contains("token")
                  || key.contains("secret")
                  || key.contains("password")
                  || key.endsWith(".accounts"))) {
            out.add(v);
            // sandbox.twilio.accounts is SID:token[,SID:token]
            for (String part : v.split("[,:]")) {
              if (part.length() >= 8 && !part.startsWith("AC")) {
                out.add(part);
              }
            }
          }
        });
    return out;
  }
}
