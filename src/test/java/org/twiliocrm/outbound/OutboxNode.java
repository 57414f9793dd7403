package org.twiliocrm.outbound;

import com.twilio.http.TwilioRestClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.db.Database;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;
import org.twiliocrm.testsupport.TestSettings;
import org.twiliocrm.twilio.TwilioClientFactory;
import org.twiliocrm.twilio.TwilioClientSettings;

/**
 * One outbox connector: a Camel context running {@code routes/outbox-to-twilio.camel.yaml} and the
 * kamelets in {@code kamelets/} exactly as shipped, with the beans {@link OutboxBeans} binds, over
 * a database and a Twilio base URL. Tests run it in-process; {@link #main} runs it as a child JVM
 * (two-process and crash tests, the benchmark).
 */
public final class OutboxNode implements AutoCloseable {
  public static final String ACCOUNT = TwilioSandboxSettings.DEFAULT_ACCOUNT_SID;
  public static final String TOKEN = TwilioSandboxSettings.DEFAULT_AUTH_TOKEN;

  public final Database db;
  public final DefaultCamelContext ctx;
  public final OutboxRuntime runtime;

  private OutboxNode(Database db, DefaultCamelContext ctx, OutboxRuntime runtime) {
    this.db = db;
    this.ctx = ctx;
    this.runtime = runtime;
  }

  /** application.properties defaults overlaid with the given keys. */
  public static Map<String, String> settings(Map<String, String> overrides) {
    Map<String, String> m = TestSettings.applicationProperties();
    m.putAll(overrides);
    return m;
  }

  public static OutboxNode start(
      ConnectorConfig.Db dbConfig, String twilioBaseUrl, Map<String, String> overrides)
      throws Exception {
    Map<String, String> props = settings(overrides);
    TwilioClientFactory twilio =
        new TwilioClientFactory(
            new TwilioClientSettings(
                twilioBaseUrl,
                ACCOUNT,
                TOKEN,
                null,
                null,
                Integer.parseInt(props.getOrDefault("twilio.max-connections", "200")),
                2_000,
                Integer.parseInt(props.getOrDefault("twilio.response-timeout-millis", "10000"))));
    return start(dbConfig, twilio.create(), twilio, overrides);
  }

  /** A node over a given client (the benchmark's timing client); {@code owned} closes with it. */
  public static OutboxNode start(
      ConnectorConfig.Db dbConfig,
      TwilioRestClient client,
      AutoCloseable owned,
      Map<String, String> overrides)
      throws Exception {
    Map<String, String> props = settings(overrides);
    Path base = Path.of(props.getOrDefault("test.project-dir", ".")).toAbsolutePath();
    Database db = Database.open(dbConfig);
    DefaultCamelContext ctx = new DefaultCamelContext();
    Properties initial = new Properties();
    initial.putAll(props);
    ctx.getPropertiesComponent().setInitialProperties(initial);
    ctx.getRegistry().bind("twilioRestClient", client);
    OutboxRuntime runtime =
        OutboxBeans.bind(
            ctx.getRegistry()::bind,
            OutboxSettings.from(props::get),
            org.twiliocrm.governance.templates.TemplateSettings.from(props::get),
            org.twiliocrm.governance.GovernanceSettings.from(props::get),
            org.twiliocrm.outbound.FallbackSettings.from(props::get),
            org.twiliocrm.governance.RecipientSettings.from(props::get),
            org.twiliocrm.senders.SenderSettings.from(props::get),
            dbConfig,
            db,
            client);
    if (owned != null) {
      runtime.closeAfter(owned);
    }
    ctx.addLifecycleStrategy(runtime);
    ctx.getComponent("kamelet", org.apache.camel.component.kamelet.KameletComponent.class)
        .setLocation("file:" + base.resolve("kamelets"));
    Resource routes =
        PluginHelper.getResourceLoader(ctx)
            .resolveResource("file:" + base.resolve("routes/outbox-to-twilio.camel.yaml"));
    PluginHelper.getRoutesLoader(ctx).loadRoutes(routes);
    ctx.start();
    return new OutboxNode(db, ctx, runtime);
  }

  /** The template approval API bound for this node. */
  public org.twiliocrm.governance.templates.TemplateApprovals approvals() {
    return ctx.getRegistry()
        .lookupByNameAndType(
            "templateApprovals", org.twiliocrm.governance.templates.TemplateApprovals.class);
  }

  /**
   * Approves the current version of every template the files declare (tests about other things).
   */
  public void approveAllTemplates(String actor) {
    var approvals = approvals();
    for (var v : approvals.versions(null)) {
      if (v.state()
          == org.twiliocrm.governance.templates.TemplateApprovals.State.PENDING_APPROVAL) {
        approvals.approve(v.version(), actor);
      }
    }
  }

  public OutboxRecorder recorder() {
    return ctx.getRegistry().lookupByNameAndType("outboxRecorder", OutboxRecorder.class);
  }

  @Override
  public void close() {
    ctx.stop();
    db.close();
  }

  /**
   * Child-process entry: {@code OutboxNode <jdbc-url> <user> <twilio-base-url> [key=value...]}.
   * Prints "READY" once started and runs until killed.
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> overrides = TestSettings.keyValues(args, 3);
    ConnectorConfig.Db db = new ConnectorConfig.Db(args[0], args[1], "", 20, Duration.ofSeconds(5));
    OutboxNode node = start(db, args[2], overrides);
    Runtime.getRuntime().addShutdownHook(new Thread(node::close));
    System.out.println("READY");
    System.out.flush();
    new CountDownLatch(1).await();
  }
}
