package org.twiliocrm.app;

import java.util.LinkedHashMap;
import java.util.Map;
import org.twiliocrm.config.ConnectorConfig;

/** Live mode: camel-salesforce configured from the connector's validated credentials. */
final class LiveClients {
  private LiveClients() {}

  static Map<String, String> salesforceComponentProperties(
      ConnectorConfig.SalesforceCredentials sf) {
    Map<String, String> p = new LinkedHashMap<>(salesforceCommon());
    String c = "camel.component.salesforce.";
    p.put(c + "loginUrl", sf.loginUrl());
    put(p, c + "clientId", sf.clientId());
    switch (sf.grant()) {
      case "password" -> {
        p.put(c + "authenticationType", "USERNAME_PASSWORD");
        put(p, c + "clientSecret", sf.clientSecret());
        put(p, c + "userName", sf.username());
        put(p, c + "password", sf.password());
      }
      case "client-credentials" -> {
        p.put(c + "authenticationType", "CLIENT_CREDENTIALS");
        put(p, c + "clientSecret", sf.clientSecret());
      }
      case "jwt" -> {
        p.put(c + "authenticationType", "JWT");
        put(p, c + "userName", sf.username());
        put(p, c + "keystore.resource", "file:" + sf.keystore());
        put(p, c + "keystore.password", sf.keystorePassword());
      }
      default -> throw new IllegalStateException("unvalidated grant " + sf.grant());
    }
    return p;
  }

  /** The connector has no generated DTOs: every Salesforce call exchanges raw JSON. */
  static Map<String, String> salesforceCommon() {
    return Map.of("camel.component.salesforce.rawPayload", "true");
  }

  private static void put(Map<String, String> p, String k, String v) {
    if (v != null) {
      p.put(k, v);
    }
  }
}
