package org.twiliocrm.app;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import org.twiliocrm.config.ConnectorConfig;

/** What GET / answers: mode and the webhook URLs, so an operator can check a deployment. */
public final class ConnectorInfo {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String json;

  public ConnectorInfo(ConnectorConfig cfg, String databaseDisplay) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", "twilio-crm-connector");
    m.put("mode", cfg.mode().name().toLowerCase());
    m.put("database", databaseDisplay);
    Map<String, String> hooks = new LinkedHashMap<>();
    for (String[] w : Banner.WEBHOOKS) {
      hooks.put(w[0], cfg.http().publicUrl() + w[1]);
    }
    m.put("webhooks", hooks);
    m.put("health", cfg.http().publicUrl() + "/observe/health/ready");
    m.put("metrics", cfg.http().publicUrl() + "/observe/metrics");
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
