package org.twiliocrm.app;

import java.time.Duration;
import java.util.List;
import org.twiliocrm.config.Key;

/** Keys of logs and metrics (docs/observability.md). */
public final class ObservabilitySettings {
  private ObservabilitySettings() {}

  public static final Key<Boolean> LOG_MDC =
      Key.bool(
          "connector.log.mdc",
          true,
          "Put correlation ids (outboxId, sid, crmRecordId, webhookEventId, traceId, camel.routeId)"
              + " into the logging MDC of every route step; the JSON log format writes them as the"
              + " \"mdc\" field.");
  public static final Key<Duration> METRICS_REFRESH =
      Key.duration(
          "connector.metrics.refresh",
          "5s",
          "How old the database-derived gauges (outbox backlog and age, write-back lag, webhook"
              + " event backlog) may be when /observe/metrics is scraped; one small query each per"
              + " refresh, only when scraped.");

  public static final Key<Integer> MANAGEMENT_PORT =
      Key.integer(
          "connector.management.port",
          0,
          0,
          65535,
          "A second HTTP port for / and /observe/* (health, metrics); the public port then answers"
              + " 404 for them and this one serves nothing else, so an ingress to the public port"
              + " exposes only the webhooks, the API and the console. 0: one port for all.");

  public static final List<Key<?>> KEYS = List.of(LOG_MDC, METRICS_REFRESH, MANAGEMENT_PORT);
}
