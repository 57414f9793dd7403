/**
 * A local Salesforce org that the unchanged camel-salesforce component talks to: OAuth token
 * endpoint (password, client credentials, refresh token, JWT bearer), REST data API (sObject CRUD,
 * upsert by external id, describe, SOQL subset, composite and sObject collections), Streaming API
 * on a real CometD server with the replay extension (platform events and change data capture,
 * retained 72 h in a file that survives restarts), API limits, faults on demand and a control API.
 *
 * <p>Start it with {@code SalesforceSandbox.start(SalesforceSandboxSettings.from(lookup))}, point
 * camel-salesforce's {@code loginUrl} at {@link
 * org.twiliocrm.sandbox.salesforce.SalesforceSandbox#baseUrl()}, and stop it with {@code close()}.
 * The control API is described in {@code sandbox/salesforce/CONTROL-API.md}.
 */
package org.twiliocrm.sandbox.salesforce;
