package org.twiliocrm.preflight;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.camel.CamelContext;
import org.apache.camel.component.salesforce.AuthenticationType;
import org.apache.camel.component.salesforce.SalesforceHttpClient;
import org.apache.camel.component.salesforce.SalesforceLoginConfig;
import org.apache.camel.component.salesforce.internal.SalesforceSession;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.jsse.KeyStoreParameters;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.twiliocrm.crm.metadata.Access;
import org.twiliocrm.crm.metadata.PackagedField;
import org.twiliocrm.crm.metadata.SalesforcePackage;

/**
 * The Salesforce side of preflight: logs in the way camel-salesforce does (its own session class,
 * same grant and properties), then compares the org with the package in {@code salesforce/}:
 * describe of every object and field, the integration user's access, the Change Data Capture
 * selection (Tooling API), API limit headroom and streaming clients ({@code /limits}).
 */
public final class SalesforceChecks {
  static final String AREA = "Salesforce";
  static final String API_VERSION = "62.0";

  private final Map<String, String> props;
  private final SalesforcePackage pkg;
  private final Set<String> watchedObjects;
  private final int headroomPercent;
  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private volatile CamelContext host;

  /**
   * @param props camel-salesforce component properties ({@code camel.component.salesforce.*}), as
   *     the connector configures the component
   * @param watchedObjects objects a send rule watches (their CDC must be on)
   * @param headroomPercent the least share of the daily API limit that must remain
   */
  public SalesforceChecks(
      Map<String, String> props,
      SalesforcePackage pkg,
      Set<String> watchedObjects,
      int headroomPercent) {
    this.props = props;
    this.pkg = pkg;
    this.watchedObjects = watchedObjects;
    this.headroomPercent = headroomPercent;
  }

  /**
   * Logs in with the running connector's CamelContext instead of a short-lived one of its own. The
   * periodic re-check inside the connector must use this: Camel Main's SIGTERM hook stops waiting
   * for the connector's drain as soon as <em>any</em> CamelContext in the JVM is destroyed (its
   * CamelContextTracker), so a throw-away context closed during a drain let the JVM exit with rows
   * still in flight (GracefulDrainIT in CI). The {@code preflight} command has no running context
   * and keeps making its own.
   */
  public SalesforceChecks within(CamelContext running) {
    this.host = running;
    return this;
  }

  /** The fix of anything the package deploys. */
  public static String deployFix() {
    return "deploy the package: cd salesforce && sf project deploy start --source-dir force-app"
        + " --target-org <alias> (README, 'Going live')";
  }

  static String permsetFix(String permset) {
    return "assign the permission set: sf org assign permset --name "
        + permset
        + " --on-behalf-of <integration user> --target-org <alias>";
  }

  public List<Check> run() {
    List<Check> out = new ArrayList<>();
    Session s;
    String grant = props.getOrDefault("camel.component.salesforce.authenticationType", "?");
    String loginName = "login (" + grant.toLowerCase(Locale.ROOT).replace('_', '-') + " grant)";
    try {
      s = login();
      out.add(Check.pass(AREA, loginName, "instance " + s.instanceUrl));
    } catch (Exception e) {
      out.add(
          Check.fail(
              AREA,
              loginName,
              "login at "
                  + props.get("camel.component.salesforce.loginUrl")
                  + " failed: "
                  + Check.error(e),
              "check salesforce.login-url (https://login.salesforce.com, https://test.salesforce.com"
                  + " or your My Domain), the connected app's client id/secret and the integration"
                  + " user's credentials; for the jwt grant, that the user is pre-authorized"));
      out.add(Check.skip(AREA, "schema, access, CDC and limits", "not checked: login failed"));
      return out;
    }
    out.addAll(schema(s));
    out.addAll(changeDataCapture(s));
    out.addAll(limits(s));
    return out;
  }

  /** The checks that can change while the connector runs (for the periodic health checks). */
  public Map<String, List<Check>> runtimeGroups() {
    Map<String, List<Check>> out = new LinkedHashMap<>();
    Session s;
    try {
      s = login();
    } catch (Exception e) {
      List<Check> f = List.of(Check.fail(AREA, "login", Check.error(e), "see preflight"));
      out.put("schema", f);
      out.put("cdc", f);
      out.put("limits", f);
      return out;
    }
    out.put("schema", schema(s));
    out.put("cdc", changeDataCapture(s));
    out.put("limits", limits(s));
    return out;
  }

  // ---- login ----

  record Session(String instanceUrl, String token) {}

  Session login() throws Exception {
    SalesforceLoginConfig cfg = loginConfig(props);
    CamelContext running = host;
    CamelContext ctx = running != null ? running : new DefaultCamelContext();
    SalesforceHttpClient client = new SalesforceHttpClient(new SslContextFactory.Client());
    client.setConnectTimeout(10_000);
    try {
      // The client refuses to start without its session.
      SalesforceSession session = new SalesforceSession(ctx, client, 15_000, cfg);
      client.setSession(session);
      client.start();
      String token = session.login(null);
      return new Session(session.getInstanceUrl(), token);
    } finally {
      client.stop();
      if (running == null) {
        ctx.close();
      }
    }
  }

  static SalesforceLoginConfig loginConfig(Map<String, String> p) {
    String c = "camel.component.salesforce.";
    SalesforceLoginConfig cfg = new SalesforceLoginConfig();
    cfg.setLoginUrl(p.getOrDefault(c + "loginUrl", SalesforceLoginConfig.DEFAULT_LOGIN_URL));
    cfg.setClientId(p.get(c + "clientId"));
    cfg.setClientSecret(p.get(c + "clientSecret"));
    cfg.setUserName(p.get(c + "userName"));
    cfg.setPassword(p.get(c + "password"));
    cfg.setRefreshToken(p.get(c + "refreshToken"));
    cfg.setLazyLogin(true);
    String type = p.get(c + "authenticationType");
    if (type != null) {
      cfg.setType(AuthenticationType.valueOf(type));
    }
    String keystore = p.get(c + "keystore.resource");
    if (keystore != null) {
      KeyStoreParameters ks = new KeyStoreParameters();
      ks.setResource(keystore);
      ks.setPassword(p.get(c + "keystore.password"));
      cfg.setKeystore(ks);
    }
    return cfg;
  }

  // ---- describe ----

  List<Check> schema(Session s) {
    List<Check> out = new ArrayList<>();
    Set<String> objects = new LinkedHashSet<>(pkg.requiredObjects());
    pkg.fieldAccess().keySet().forEach(f -> objects.add(f.substring(0, f.indexOf('.'))));
    for (String object : objects) {
      JsonNode d;
      try {
        d = get(s, "sobjects/" + object + "/describe");
      } catch (NotFound e) {
        out.add(
            Check.fail(
                AREA,
                "object " + object,
                "missing (not deployed, or the integration user cannot see it)",
                deployFix() + "; then " + permsetFix(pkg.permissionSetName())));
        continue;
      } catch (Exception e) {
        out.add(Check.fail(AREA, "object " + object, "describe failed: " + Check.error(e), ""));
        continue;
      }
      JsonNode fieldsNode = d.path("fields");
      if (!fieldsNode.isArray()) {
        out.add(
            Check.fail(
                AREA,
                "object " + object,
                "unexpected describe answer: no 'fields' array",
                "check that the login URL points at a Salesforce org (REST API v"
                    + API_VERSION
                    + ")"));
        continue;
      }
      out.add(objectAccess(object, d));
      Map<String, JsonNode> fields = new HashMap<>();
      for (JsonNode f : fieldsNode) {
        if (f.path("name").isTextual()) {
          fields.put(f.path("name").asText().toLowerCase(Locale.ROOT), f);
        }
      }
      // Task also carries the package's Activity fields.
      Map<String, PackagedField> packaged = pkg.fieldsOf(object);
      Set<String> names = new LinkedHashSet<>(packaged.keySet());
      pkg.fieldAccess().keySet().stream()
          .filter(k -> k.startsWith(object + "."))
          .forEach(k -> names.add(k.substring(object.length() + 1)));
      for (String field : names) {
        out.add(
            field(object, field, packaged.get(field), fields.get(field.toLowerCase(Locale.ROOT))));
      }
    }
    return out;
  }

  private Check objectAccess(String object, JsonNode d) {
    Access need = pkg.objectAccess().get(object);
    String name = "object " + object;
    if (need == null) {
      return Check.pass(AREA, name, "present");
    }
    List<String> missing = new ArrayList<>();
    boolean event = object.endsWith("__e");
    if (need.read() && !event && !d.path("queryable").asBoolean(false)) {
      missing.add("read");
    }
    if (need.create() && !d.path("createable").asBoolean(false)) {
      missing.add("create");
    }
    if (need.edit() && !d.path("updateable").asBoolean(false)) {
      missing.add("edit");
    }
    return missing.isEmpty()
        ? Check.pass(AREA, name, "present, access " + access(need))
        : Check.fail(
            AREA,
            name,
            "the integration user lacks " + String.join(", ", missing),
            permsetFix(pkg.permissionSetName()));
  }

  private Check field(String object, String field, PackagedField expected, JsonNode actual) {
    String name = "field " + object + "." + field;
    Access need = pkg.fieldAccess().get(object + "." + field);
    if (actual == null) {
      return Check.fail(
          AREA,
          name,
          "missing (deleted, or hidden from the integration user by field-level security)",
          deployFix() + "; then " + permsetFix(pkg.permissionSetName()));
    }
    String type = actual.path("type").asText("?");
    if (expected != null) {
      if (!expected.apiType().equals(type)) {
        return Check.fail(
            AREA,
            name,
            "type "
                + type
                + ", the connector expects "
                + expected.apiType()
                + " ("
                + expected.metadataType()
                + ")",
            "change the field's type back, or delete it and " + deployFix());
      }
      if (expected.externalId() && !actual.path("externalId").asBoolean(false)) {
        return Check.fail(
            AREA,
            name,
            "not an External ID: the connector upserts on it",
            "tick External ID (and Unique) on the field, or " + deployFix());
      }
      int len = actual.path("length").asInt(0);
      if (expected.length() > 0 && len > 0 && len < expected.length()) {
        return Check.fail(
            AREA,
            name,
            "length " + len + " < " + expected.length() + ": long values would be refused",
            "raise the length to " + expected.length() + ", or " + deployFix());
      }
    }
    if (need != null
        && need.edit()
        && !actual.path("updateable").asBoolean(false)
        && !actual.path("createable").asBoolean(false)) {
      return Check.fail(
          AREA,
          name,
          "read-only for the integration user (the connector writes it)",
          permsetFix(pkg.permissionSetName()));
    }
    return Check.pass(AREA, name, type + (need == null ? "" : ", " + access(need)));
  }

  private static String access(Access a) {
    return a.edit()
        ? (a.create() ? "read/create/edit" : "read/edit")
        : a.create() ? "read/create" : "read";
  }

  // ---- CDC ----

  List<Check> changeDataCapture(Session s) {
    List<Check> out = new ArrayList<>();
    if (watchedObjects.isEmpty()) {
      out.add(Check.skip(AREA, "Change Data Capture", "no send rule watches an object"));
      return out;
    }
    Set<String> selected = new LinkedHashSet<>();
    try {
      JsonNode r =
          get(
              s,
              "tooling/query?q="
                  + URLEncoder.encode(
                      "SELECT SelectedEntity FROM PlatformEventChannelMember"
                          + " WHERE EventChannel = 'ChangeEvents'",
                      StandardCharsets.UTF_8));
      if (!r.path("records").isArray()) {
        throw new IllegalStateException("unexpected Tooling API answer: no 'records' array");
      }
      for (JsonNode rec : r.path("records")) {
        String e = rec.path("SelectedEntity").asText("");
        if (e.endsWith("ChangeEvent")) {
          String o = e.substring(0, e.length() - "ChangeEvent".length());
          selected.add(o.endsWith("__") ? o + "c" : o);
        }
      }
    } catch (Exception e) {
      out.add(
          Check.fail(
              AREA,
              "Change Data Capture",
              "could not read the selection: " + Check.error(e),
              "grant the integration user View Setup and Configuration, or check the org by hand"
                  + " in Setup > Integrations > Change Data Capture"));
      return out;
    }
    for (String o : watchedObjects) {
      String name = "Change Data Capture for " + o;
      out.add(
          selected.contains(o)
              ? Check.pass(AREA, name, "selected (a send rule watches " + o + ")")
              : Check.fail(
                  AREA,
                  name,
                  "not selected: a send rule watches " + o + " and would receive no events",
                  "select "
                      + o
                      + " in Setup > Integrations > Change Data Capture, or "
                      + deployFix()));
    }
    return out;
  }

  // ---- limits ----

  List<Check> limits(Session s) {
    List<Check> out = new ArrayList<>();
    JsonNode l;
    try {
      l = get(s, "limits");
    } catch (Exception e) {
      out.add(Check.fail(AREA, "API limits", "could not read /limits: " + Check.error(e), ""));
      return out;
    }
    JsonNode daily = l.path("DailyApiRequests");
    if (!daily.path("Max").isNumber() || !daily.path("Remaining").isNumber()) {
      out.add(
          Check.fail(
              AREA,
              "API daily limit headroom",
              "unexpected /limits answer: no DailyApiRequests Max/Remaining",
              ""));
    } else {
      long max = daily.path("Max").asLong();
      long remaining = daily.path("Remaining").asLong();
      long pct = max == 0 ? 0 : remaining * 100 / max;
      String detail = remaining + " of " + max + " calls left today (" + pct + "%)";
      out.add(
          pct >= headroomPercent
              ? Check.pass(AREA, "API daily limit headroom", detail)
              : Check.fail(
                  AREA,
                  "API daily limit headroom",
                  detail + ", below " + headroomPercent + "%",
                  "find what uses the API (Setup > System Overview), wait for the rolling 24 h"
                      + " window, or raise the org's limit; preflight.api-headroom-percent sets"
                      + " the threshold"));
    }
    JsonNode clients = l.path("DurableStreamingApiConcurrentClients");
    if (!clients.path("Remaining").isNumber()) {
      out.add(
          Check.warn(
              AREA,
              "streaming clients",
              "not reported by /limits",
              "check the org's Streaming API concurrent client limit by hand"));
    } else {
      long remaining = clients.path("Remaining").asLong();
      long max = clients.path("Max").asLong();
      String detail = (max - remaining) + " of " + max + " concurrent streaming clients in use";
      out.add(
          remaining >= 1
              ? Check.pass(AREA, "streaming clients", detail)
              : Check.fail(
                  AREA,
                  "streaming clients",
                  detail + ": the connector could not subscribe",
                  "stop other CometD clients of this org (other integrations, old connector pods)"));
    }
    return out;
  }

  // ---- HTTP ----

  static final class NotFound extends Exception {
    NotFound(String m) {
      super(m);
    }
  }

  private JsonNode get(Session s, String resource) throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(
                URI.create(s.instanceUrl + "/services/data/v" + API_VERSION + "/" + resource))
            .timeout(Duration.ofSeconds(20))
            .header("Authorization", "Bearer " + s.token)
            .header("Accept", "application/json")
            .GET()
            .build();
    HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() == 404) {
      throw new NotFound(resource);
    }
    if (r.statusCode() != 200) {
      String body = r.body() == null ? "" : r.body();
      throw new IllegalStateException(
          "HTTP " + r.statusCode() + " " + body.substring(0, Math.min(200, body.length())));
    }
    try {
      return json.readTree(r.body());
    } catch (Exception e) {
      throw new IllegalStateException("not JSON: " + Check.error(e));
    }
  }
}
