package org.twiliocrm.app;

import com.twilio.base.ResourceSet;
import com.twilio.exception.ApiException;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.account.Message;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.twilio.TwilioClientFactory;
import org.twiliocrm.twilio.TwilioClientSettings;

/**
 * Live mode: whether Twilio accepts the configured credentials, shown at {@code /observe/health}
 * and as the gauge {@code twiliocrm_dependency_up{dependency="twilio"}}. It is neither a readiness
 * nor a liveness check: readiness means "can take traffic", and a Twilio or egress outage must not
 * take every pod out of service (inbound STOPs would be turned away, and the outbox retries sends
 * on its own). The check makes one cheap read (a one-item page of Messages) through the production
 * client, and caches the answer so probes and scrapes do not turn into API traffic: a minute while
 * UP, five seconds while DOWN.
 */
final class LiveCredentialsHealthCheck extends AbstractHealthCheck implements AutoCloseable {
  private static final Duration UP_TTL = Duration.ofMinutes(1);
  private static final Duration DOWN_TTL = Duration.ofSeconds(5);

  private final TwilioClientFactory factory;
  private final TwilioRestClient client;
  private final String accountSid;
  private volatile Instant checkedAt = Instant.EPOCH;
  private volatile String problem = "not checked yet";

  LiveCredentialsHealthCheck(
      java.util.function.Function<String, String> lookup, ConnectorConfig cfg) {
    super("connector", "twilio-credentials");
    this.factory = new TwilioClientFactory(TwilioClientSettings.from(lookup));
    this.client = factory.create();
    this.accountSid = cfg.twilio().accountSid();
  }

  @Override
  public boolean isLiveness() {
    return false;
  }

  @Override
  public boolean isReadiness() {
    return false;
  }

  @Override
  protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
    refresh();
    builder.detail("account", accountSid);
    if (problem == null) {
      builder.up();
    } else {
      builder.message(problem).down();
    }
  }

  /** 1 while Twilio accepts the credentials, 0 otherwise (the gauge's value). */
  double up() {
    refresh();
    return problem == null ? 1 : 0;
  }

  private synchronized void refresh() {
    Instant now = Instant.now();
    Duration ttl = problem == null ? UP_TTL : DOWN_TTL;
    if (now.isAfter(checkedAt.plus(ttl))) {
      problem = probe();
      checkedAt = now;
    }
  }

  private String probe() {
    try {
      ResourceSet<Message> page = Message.reader().limit(1).read(client);
      page.iterator().hasNext();
      return null;
    } catch (ApiException e) {
      return "Twilio refused the credentials of account "
          + accountSid
          + ": "
          + e.getStatusCode()
          + " / "
          + e.getCode()
          + " "
          + e.getMessage();
    } catch (RuntimeException e) {
      return "Twilio not reachable: " + e.getClass().getSimpleName() + " " + e.getMessage();
    }
  }

  @Override
  public void close() {
    factory.close();
  }
}
