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
 * Live mode: readiness stays DOWN until Twilio accepts the configured credentials. The check makes
 * one cheap read (a one-item page of Messages) through the production client, and caches the answer
 * so probes do not turn into API traffic: a minute while UP, five seconds while DOWN.
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
  protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
    Instant now = Instant.now();
    Duration ttl = problem == null ? UP_TTL : DOWN_TTL;
    if (now.isAfter(checkedAt.plus(ttl))) {
      problem = probe();
      checkedAt = now;
    }
    builder.detail("account", accountSid);
    if (problem == null) {
      builder.up();
    } else {
      builder.message(problem).down();
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
