package org.twiliocrm.crm;

import org.apache.camel.component.salesforce.AuthenticationType;
import org.apache.camel.component.salesforce.SalesforceComponent;
import org.twiliocrm.config.ConnectorConfig;

/**
 * A default {@code salesforce} component built from the connector's {@code salesforce.*} keys, with
 * lazy login: it lets the connector (and its validate command) start before Salesforce is reachable
 * or configured, and the write-back simply retries until it is. camel-main still applies any {@code
 * camel.component.salesforce.*} property on top of it, which is how the runtime points it at the
 * sandbox org.
 */
public final class SalesforceComponents {
  private SalesforceComponents() {}

  public static SalesforceComponent lazy(ConnectorConfig.SalesforceCredentials sf) {
    SalesforceComponent c = new SalesforceComponent();
    c.setLazyLogin(true);
    c.setLoginUrl(orUnset(sf == null ? null : sf.loginUrl(), "https://login.salesforce.com"));
    c.setClientId(orUnset(sf == null ? null : sf.clientId(), "unset"));
    c.setClientSecret(orUnset(sf == null ? null : sf.clientSecret(), "unset"));
    c.setUserName(orUnset(sf == null ? null : sf.username(), "unset"));
    c.setPassword(orUnset(sf == null ? null : sf.password(), "unset"));
    c.setAuthenticationType(AuthenticationType.USERNAME_PASSWORD);
    return c;
  }

  private static String orUnset(String v, String def) {
    return v == null || v.isBlank() ? def : v;
  }
}
