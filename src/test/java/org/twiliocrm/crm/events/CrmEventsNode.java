package org.twiliocrm.crm.events;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.db.Database;
import org.twiliocrm.outbound.OutboxBeans;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;
import org.twiliocrm.testsupport.TestSettings;
import org.twiliocrm.twilio.TwilioClientFactory;
import org.twiliocrm.twilio.TwilioClientSettings;

/**
 * One connector process as far as CRM events go: camel-main with the two routes as shipped in
 * routes/, the salesforce component pointed at a (sandbox) org, and the crm.events beans on a
 * database. Used in-process by the ITs and as a child JVM (main) by the failover IT.
 */
public final class CrmEventsNode implements AutoCloseable {
  private final Main main = new Main();
  private final Database db;
  private CrmEventSubscriptions subscriptions;

  public CrmEventsNode(String salesforceUrl, String jdbcUrl, Map<String, String> extra) {
    this.db =
        Database.open(new ConnectorConfig.Db(jdbcUrl, "postgres", "", 10, Duration.ofSeconds(5)));
    Properties p = new Properties();
    p.setProperty(
        "camel.main.routesIncludePattern",
        "file:routes/crm-events-to-outbox.camel.yaml,file:routes/crm-record-changes-to-outbox.camel.yaml");
    p.setProperty("camel.main.name", "crm-events-node");
    p.setProperty("camel.component.salesforce.loginUrl", salesforceUrl);
    p.setProperty("camel.component.salesforce.authenticationType", "USERNAME_PASSWORD");
    p.setProperty("camel.component.salesforce.clientId", "sandbox-client-id");
    p.setProperty("camel.component.salesforce.clientSecret", "sandbox-client-secret");
    p.setProperty("camel.component.salesforce.userName", "integration@twiliocrm.sandbox");
    p.setProperty("camel.component.salesforce.password", "sandbox-password");
    p.setProperty("camel.component.salesforce.apiVersion", "62.0");
    Map<String, String> keys = new HashMap<>(defaults());
    String twilioUrl = extra.get(TWILIO_URL);
    if (twilioUrl != null) {
      // The whole path to Twilio: the outbox route and kamelets as shipped, on the same database.
      keys.putAll(applicationProperties());
      p.setProperty(
          "camel.main.routesIncludePattern",
          p.getProperty("camel.main.routesIncludePattern")
              + ",file:routes/outbox-to-twilio.camel.yaml");
      p.setProperty("camel.component.kamelet.location", "file:kamelets");
    }
    keys.putAll(extra);
    keys.forEach(p::setProperty);
    // As ConnectorApp does: a disabled connector does not load the subscription routes.
    CrmEventsBeans.routesExcludePattern(CrmEventsSettings.from(keys::get))
        .ifPresent(x -> p.setProperty("camel.main.routesExcludePattern", x));
    main.setOverrideProperties(p);
    subscriptions =
        CrmEventsBeans.bind(
            main::bind,
            CrmEventsSettings.from(keys::get),
            org.twiliocrm.outbound.OutboxSettings.from(keys::get).templatesLocation(),
            db);
    if (twilioUrl != null) {
      TwilioClientFactory twilio =
          new TwilioClientFactory(
              new TwilioClientSettings(
                  twilioUrl,
                  TwilioSandboxSettings.DEFAULT_ACCOUNT_SID,
                  TwilioSandboxSettings.DEFAULT_AUTH_TOKEN,
                  null,
                  null,
                  200,
                  2_000,
                  10_000));
      Map<String, String> outboxKeys = keys;
      // The twilio-*-action kamelets look the client up by this name, as ConnectorApp binds it.
      com.twilio.http.TwilioRestClient client = twilio.create();
      main.bind("twilioRestClient", client);
      OutboxBeans.bind(
          main::bind,
          org.twiliocrm.outbound.OutboxSettings.from(outboxKeys::get),
          new ConnectorConfig.Db(jdbcUrl, "postgres", "", 10, Duration.ofSeconds(5)),
          db,
          client);
    }
  }

  /** Extra key: when set, the node also runs the outbox route against this Twilio base URL. */
  public static final String TWILIO_URL = "bench.twilio-base-url";

  private static Map<String, String> applicationProperties() {
    Map<String, String> m = TestSettings.applicationProperties();
    m.values().removeIf(String::isBlank);
    m.keySet().removeIf(k -> k.startsWith("crm.events."));
    return m;
  }

  static Map<String, String> defaults() {
    Map<String, String> m = new HashMap<>();
    m.put("crm.events.enabled", "true");
    m.put("crm.events.platform-event-topic", "/event/Send_Message__e");
    m.put("crm.events.change-event-topic", "/data/ChangeEvents");
    m.put("crm.events.initial-replay-id", "-1");
    m.put("crm.events.fallback-replay-id", "-2");
    m.put("crm.events.max-redeliveries", "5");
    m.put("crm.events.leader.mode", "none");
    m.put("outbox.templates.location", "classpath:outbound/templates.yaml");
    return m;
  }

  public CrmEventsNode start() throws Exception {
    main.start();
    return this;
  }

  public CamelContext context() {
    return main.getCamelContext();
  }

  public CrmEventSubscriptions subscriptions() {
    return subscriptions;
  }

  public CrmEventMetrics metrics() {
    return context().getRegistry().lookupByNameAndType("crmEventMetrics", CrmEventMetrics.class);
  }

  @Override
  public void close() {
    try {
      main.stop();
    } finally {
      db.close();
    }
  }

  /** Child-JVM entry: args = salesforceUrl jdbcUrl key=value...; runs until killed. */
  public static void main(String[] args) throws Exception {
    Map<String, String> extra = TestSettings.keyValues(args, 2);
    CrmEventsNode node = new CrmEventsNode(args[0], args[1], extra).start();
    System.out.println("NODE-STARTED " + ProcessHandle.current().pid());
    // The test reads leadership from the sandbox's subscriber list; stay alive until killed.
    new java.util.concurrent.CountDownLatch(1).await();
  }
}
