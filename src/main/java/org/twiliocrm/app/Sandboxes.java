package org.twiliocrm.app;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.twiliocrm.config.ConfigException;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.crm.events.CrmEventsSettings;
import org.twiliocrm.sandbox.salesforce.SalesforceSandbox;
import org.twiliocrm.sandbox.salesforce.SalesforceSandboxSettings;
import org.twiliocrm.sandbox.twilio.TwilioSandbox;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;

/**
 * Sandbox mode: the local Twilio and Salesforce emulators start in this JVM, and the connector's
 * production clients are pointed at them by configuration alone (a base URL and the emulators'
 * credentials), so the same code paths run as in live mode.
 */
final class Sandboxes implements AutoCloseable {
  private final TwilioSandbox twilio;
  private final SalesforceSandbox salesforce;
  private final Map<String, String> derived = new LinkedHashMap<>();
  private final List<String> bannerLines = new ArrayList<>();

  private Sandboxes(TwilioSandbox twilio, SalesforceSandbox salesforce) {
    this.twilio = twilio;
    this.salesforce = salesforce;
  }

  static Sandboxes start(Function<String, String> lookup, ConnectorConfig cfg) {
    // With twilio.region set, the sandbox's numbers are homed in that region (their inbound
    // messages are signed with its token) and the inbound URL names it, as `senders` expects.
    org.twiliocrm.twilio.TwilioRegion region =
        settings(() -> org.twiliocrm.twilio.TwilioClientSettings.region(lookup));
    String inbound = region.callbackUrl(cfg.http().publicUrl() + "/webhooks/twilio/inbound");
    Function<String, String> twilioLookup =
        k -> {
          String v = lookup.apply(k);
          if (TwilioSandboxSettings.NUMBERS_REGION.name().equals(k) && (v == null || v.isBlank())) {
            return region.region();
          }
          return TwilioSandboxSettings.INBOUND_WEBHOOK_URL.name().equals(k)
                  && (v == null || v.isBlank())
              ? inbound
              : v;
        };
    TwilioSandboxSettings ts = settings(() -> TwilioSandboxSettings.from(twilioLookup));
    SalesforceSandboxSettings ss = settings(() -> SalesforceSandboxSettings.from(lookup));
    // The two emulators start side by side (the database migrates meanwhile on the main thread).
    String external = settings(() -> SalesforceSandboxSettings.EXTERNAL_URL.read(lookup::apply));
    CompletableFuture<SalesforceSandbox> sf =
        external != null && !external.isBlank()
            ? CompletableFuture.completedFuture(null)
            : CompletableFuture.supplyAsync(() -> SalesforceSandbox.start(ss));
    String externalTwilio = settings(() -> TwilioSandboxSettings.EXTERNAL_URL.read(lookup::apply));
    TwilioSandbox twilio;
    try {
      // Its OpenAPI loads once the connector is ready (ConnectorApp), not during start-up.
      twilio = blank(externalTwilio) ? TwilioSandbox.startLazy(ts) : null;
    } catch (RuntimeException e) {
      sf.thenAccept(
          x -> {
            if (x != null) {
              x.close();
            }
          });
      throw e;
    }
    SalesforceSandbox salesforce;
    try {
      salesforce = sf.join();
    } catch (CompletionException e) {
      if (twilio != null) {
        twilio.close();
      }
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
    Sandboxes s = new Sandboxes(twilio, salesforce);
    s.derive(
        ts,
        ss,
        blank(externalTwilio) ? null : externalTwilio.trim(),
        blank(external) ? null : external.trim());
    String sender = lookup.apply(CrmEventsSettings.SENDER.name());
    if (sender == null || sender.isBlank()) {
      // CRM events carry no From: in the sandbox the emulator's own number sends them.
      s.derived.put(CrmEventsSettings.SENDER.name(), ts.numbers().get(0));
    }
    return s;
  }

  /**
   * The Salesforce emulator alone, on a free port with its data in {@code dataDir}: what the
   * validate command builds salesforce routes against, so nothing leaves the machine.
   */
  static SalesforceSandbox startSalesforce(java.nio.file.Path dataDir) {
    return SalesforceSandbox.start(
        SalesforceSandboxSettings.from(
            k ->
                switch (k) {
                  case "sandbox.salesforce.port" -> "0";
                  case "sandbox.salesforce.data-dir" -> dataDir.toString();
                  default -> null;
                }));
  }

  /**
   * The lookup the production Twilio client reads in sandbox mode: what the started sandbox derived
   * ({@link #derivedProperties}) when there is one, otherwise (the validate command) the sandbox's
   * configured address and first account. API keys are never sent to the sandbox.
   */
  static Function<String, String> twilioClient(Function<String, String> lookup) {
    TwilioSandboxSettings ts = settings(() -> TwilioSandboxSettings.from(lookup));
    Map.Entry<String, String> account = ts.accounts().entrySet().iterator().next();
    String base = "http://127.0.0.1:" + (ts.port() == 0 ? 8089 : ts.port());
    return k ->
        switch (k) {
          case "twilio.base-url" -> orElse(lookup.apply(k), base);
          case "twilio.account-sid" -> orElse(lookup.apply(k), account.getKey());
          case "twilio.auth-token" -> orElse(lookup.apply(k), account.getValue());
          case "twilio.region-auth-tokens" ->
              orElse(lookup.apply(k), regionTokens(ts.regionAuthTokens()));
          case "twilio.api-key", "twilio.api-secret" -> null;
          default -> lookup.apply(k);
        };
  }

  /**
   * The lookup the webhook settings read in sandbox mode: {@code twilio.account-sid}, when unset,
   * is the sandbox's first account, so that {@code twilio.secondary-auth-token} (a rotation of the
   * sandbox account's token) has an owner. Its token is not derived: {@link #accountTokens} adds
   * every sandbox account's.
   */
  static Function<String, String> webhookOwner(Function<String, String> lookup) {
    return k -> {
      String v = lookup.apply(k);
      if ("twilio.account-sid".equals(k) && (v == null || v.isBlank())) {
        return accountTokens(lookup).keySet().iterator().next();
      }
      return v;
    };
  }

  /** Every sandbox account's token: callbacks the sandbox signs are checked against them. */
  static Map<String, String> accountTokens(Function<String, String> lookup) {
    return settings(() -> TwilioSandboxSettings.from(lookup)).accounts();
  }

  /** {@code ie1:token,au1:token}, as twilio.region-auth-tokens reads it. */
  static String regionTokens(Map<String, String> tokens) {
    StringBuilder sb = new StringBuilder();
    tokens.forEach(
        (r, t) -> sb.append(sb.length() == 0 ? "" : ",").append(r).append(':').append(t));
    return sb.length() == 0 ? null : sb.toString();
  }

  private static boolean blank(String v) {
    return v == null || v.isBlank();
  }

  private static String orElse(String v, String def) {
    return v == null || v.isBlank() ? def : v.trim();
  }

  static <T> T settings(java.util.function.Supplier<T> read) {
    try {
      return read.get();
    } catch (IllegalArgumentException e) {
      String msg = e.getMessage() == null ? "invalid" : e.getMessage();
      int colon = msg.indexOf(':');
      throw colon > 0
          ? new ConfigException(msg.substring(0, colon), msg.substring(colon + 1).trim())
          : new ConfigException("sandbox", msg);
    }
  }

  private void derive(
      TwilioSandboxSettings ts,
      SalesforceSandboxSettings ss,
      String externalTwilio,
      String externalSalesforce) {
    String salesforceUrl =
        externalSalesforce != null
            ? externalSalesforce.replaceAll("/+$", "")
            : salesforce.baseUrl();
    // The production Twilio client, pointed at the emulator (a shared one accepts the same
    // accounts: the first is the connector's).
    Map.Entry<String, String> account = ts.accounts().entrySet().iterator().next();
    String twilioUrl =
        externalTwilio != null ? externalTwilio.replaceAll("/+$", "") : twilio.baseUrl();
    derived.put("twilio.base-url", twilioUrl);
    derived.put("twilio.account-sid", account.getKey());
    derived.put("twilio.auth-token", account.getValue());
    // The account's tokens in the other Twilio Regions: with twilio.region set, the client
    // authenticates at the sandbox's regional host with one, and its callbacks are signed with it.
    if (!ts.regionAuthTokens().isEmpty()) {
      derived.put("twilio.region-auth-tokens", regionTokens(ts.regionAuthTokens()));
    }
    // camel-salesforce, pointed at the emulator with its seeded connected app and user.
    derived.put("camel.component.salesforce.loginUrl", salesforceUrl);
    derived.put("camel.component.salesforce.authenticationType", "USERNAME_PASSWORD");
    derived.put("camel.component.salesforce.clientId", ss.clientId());
    derived.put("camel.component.salesforce.clientSecret", ss.clientSecret());
    derived.put("camel.component.salesforce.userName", ss.username());
    derived.put("camel.component.salesforce.password", ss.password() + ss.securityToken());
    derived.putAll(LiveClients.salesforceCommon());

    bannerLines.add(
        "Twilio sandbox      "
            + twilioUrl
            + "   account "
            + account.getKey()
            + "   control API "
            + twilioUrl
            + "/sandbox"
            + (externalTwilio != null ? "   (shared: sandbox.twilio.external-url)" : ""));
    bannerLines.add(
        "Salesforce sandbox  "
            + salesforceUrl
            + "   control API "
            + salesforceUrl
            + "/sandbox"
            + (externalSalesforce != null ? "   (shared: sandbox.salesforce.external-url)" : ""));
  }

  /** Properties that point the production clients at the emulators; they win over the file. */
  Map<String, String> derivedProperties() {
    return derived;
  }

  List<String> bannerLines() {
    return bannerLines;
  }

  /** The Twilio emulator this connector started; null when it uses a shared one. */
  TwilioSandbox twilio() {
    return twilio;
  }

  SalesforceSandbox salesforce() {
    return salesforce;
  }

  @Override
  public void close() {
    try {
      if (salesforce != null) {
        salesforce.close();
      }
    } finally {
      if (twilio != null) {
        twilio.close();
      }
    }
  }
}
