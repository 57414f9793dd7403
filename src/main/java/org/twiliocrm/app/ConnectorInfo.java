package org.twiliocrm.app;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import org.twiliocrm.config.ConnectorConfig;

/**
 * What GET / answers: mode and the webhook URLs, so an operator can check a deployment, and where
 * health and metrics are. With connector.management.port set, GET / is served only on that port
 * (the public port, behind the ingress, answers 404 for it and shows nothing but webhooks, the API
 * and the console), and names health and metrics on that port: the public URL answers 404 for them.
 */
public final class ConnectorInfo {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String json;

  public ConnectorInfo(ConnectorConfig cfg, String databaseDisplay) {
    this(cfg, databaseDisplay, 0);
  }

  /** {@code managementPort}: connector.management.port (0: one port for everything). */
  public ConnectorInfo(ConnectorConfig cfg, String databaseDisplay, int managementPort) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", "twilio-crm-connector");
    m.put("mode", cfg.mode().name().toLowerCase());
    m.put("database", databaseDisplay);
    Map<String, String> hooks = new LinkedHashMap<>();
    for (String[] w : Banner.WEBHOOKS) {
      hooks.put(w[0], cfg.http().publicUrl() + w[1]);
    }
    m.put("webhooks", hooks);
    String observe = Banner.observeBase(cfg, managementPort);
    m.put("health", observe + "/observe/health/ready");
    m.put("metrics", observe + "/observe/metrics");
    if (managementPort > 0) {
      m.put("managementPort", managementPort);
    }
    try {
      this.json = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  public String json() {
    return json;
  }
}
