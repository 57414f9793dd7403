package org.twiliocrm.outbound;

import com.twilio.http.TwilioRestClient;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.db.Database;
import org.twiliocrm.governance.templates.TemplateApprovals;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;
import org.twiliocrm.testsupport.TestConnector;

/**
 * The outbox tests' view of one connector: the real wiring ({@link TestConnector}, the shipped
 * routes and kamelets with every bean ConnectorApp binds) over a given database, sending to a
 * Twilio sandbox the test owns ({@code sandbox.twilio.external-url}), so that the sandbox outlives
 * connector restarts and several connectors share it. The sandbox's status callbacks come back
 * through the connector's own webhooks, as in production. CRM events are off (no test here uses
 * them). Adds the outbox tests' handles (database, registry, runtime, template approvals).
 */
public final class OutboxNode implements AutoCloseable {
  public static final String ACCOUNT = TwilioSandboxSettings.DEFAULT_ACCOUNT_SID;
  public static final String TOKEN = TwilioSandboxSettings.DEFAULT_AUTH_TOKEN;

  public final TestConnector connector;
  public final Database db;
  public final CamelContext ctx;
  public final OutboxRuntime runtime;

  private OutboxNode(TestConnector connector) {
    this.connector = connector;
    this.ctx = connector.context();
    this.db = connector.bean("connectorDatabase", Database.class);
    this.runtime = connector.bean("outboxRuntime", OutboxRuntime.class);
  }

  /** What every outbox node sets: the database, the shared Twilio sandbox, CRM events off. */
  public static TestConnector.Builder connector(ConnectorConfig.Db dbConfig, String twilioBaseUrl) {
    return TestConnector.on(dbConfig.url(), dbConfig.user())
        .property("connector.db.pool-size", String.valueOf(dbConfig.poolSize()))
        .sharedTwilio(twilioBaseUrl)
        .property("crm.events.enabled", "false");
  }

  public static OutboxNode start(
      ConnectorConfig.Db dbConfig, String twilioBaseUrl, Map<String, String> overrides)
      throws Exception {
    return new OutboxNode(connector(dbConfig, twilioBaseUrl).properties(overrides).start());
  }

  /** A node whose outbox sends through {@code client} (the benchmarks' timing client). */
  public static OutboxNode start(
      ConnectorConfig.Db dbConfig,
      String twilioBaseUrl,
      TwilioRestClient client,
      Map<String, String> overrides)
      throws Exception {
    return new OutboxNode(
        connector(dbConfig, twilioBaseUrl)
            .properties(overrides)
            .bind("twilioRestClient", client)
            .start());
  }

  /** The template approval API bound for this node. */
  public TemplateApprovals approvals() {
    return connector.bean("templateApprovals", TemplateApprovals.class);
  }

  /**
   * Approves the current version of every template the files declare (tests about other things).
   */
  public void approveAllTemplates(String actor) {
    var approvals = approvals();
    for (var v : approvals.versions(null)) {
      if (v.state() == TemplateApprovals.State.PENDING_APPROVAL) {
        approvals.approve(v.version(), actor);
      }
    }
  }

  public OutboxRecorder recorder() {
    return connector.bean("outboxRecorder", OutboxRecorder.class);
  }

  /** Stops the connector (its database pool with it); the Twilio sandbox stays up. */
  @Override
  public void close() {
    connector.close();
  }
}
