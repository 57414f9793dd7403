package org.twiliocrm.sandbox.salesforce;

import com.fasterxml.jackson.core.JsonProcessingException;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import org.eclipse.jetty.ee11.servlet.ServletContextRequest;

/**
 * HTTP front of the emulated org: applies faults, authentication and API limits, then hands {@code
 * /services/oauth2/*} to {@link OAuthService}, {@code /services/data/*} to {@link RestApi} and
 * {@code /sandbox/*} to the control API.
 */
final class SandboxServlet extends HttpServlet {
  private static final String JSON = "application/json;charset=UTF-8";

  private final transient SalesforceSandbox org;

  SandboxServlet(SalesforceSandbox org) {
    this.org = org;
  }

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    String path = req.getRequestURI();
    if (path.startsWith("/sandbox/")) {
      control(req, resp, path.substring("/sandbox/".length()));
      return;
    }
    Faults faults = org.faults();
    if (faults.orgDown() || faults.drawUnavailable()) {
      ApiUsage usage = org.apiUsage();
      usage.count("503 " + req.getMethod() + " " + path);
      write(
          resp,
          503,
          List.of(
              Map.of(
                  "errorCode",
                  "SERVER_UNAVAILABLE",
                  "message",
                  faults.orgDown()
                      ? "The org is down for maintenance. Please try again later."
                      : "Server unavailable, please try again later.")));
      return;
    }
    delay(faults.latencyMillis());
    if (path.equals("/services/oauth2/token")) {
      token(req, resp);
    } else if (path.equals("/services/oauth2/revoke")) {
      org.apiUsage().count(req.getMethod() + " oauth2/revoke");
      if (org.oauth().revoke(req.getParameter("token"))) {
        resp.setStatus(200);
      } else {
        write(
            resp,
            400,
            Map.of(
                "error", "unsupported_token_type",
                "error_description", "this token type is not supported"));
      }
    } else if (path.equals("/services/data") || path.startsWith("/services/data/")) {
      String rel =
          path.length() > "/services/data/".length()
              ? path.substring("/services/data/".length())
              : "";
      boolean lose =
          !"GET".equals(req.getMethod())
              && faults.takeLostResponse(RestApi.endpointKey(req.getMethod(), rel));
      org.apiLock().lock();
      try {
        data(req, lose ? new LostResponse(resp) : resp, rel);
      } finally {
        org.apiLock().unlock();
      }
      if (lose) {
        // The write is committed; the client gets a closed connection instead of its answer
        // (closing the socket itself: an aborted servlet channel would still answer 500).
        ServletContextRequest.getServletContextRequest(req)
            .getConnectionMetaData()
            .getConnection()
            .getEndPoint()
            .close(new IOException("sandbox fault: response lost after commit"));
      }
    } else if (path.startsWith("/services/Soap/u/")) {
      soap(req, resp, path);
    } else if (path.equals("/services/oauth2/userinfo")) {
      org.apiUsage().count(req.getMethod() + " oauth2/userinfo");
      if (!authorized(req)) {
        forbidden(resp);
      } else {
        write(resp, 200, org.oauth().userInfo(org.baseUrl()));
      }
    } else if (path.equals("/id/" + org.oauth().orgId() + "/" + org.oauth().userId())) {
      org.apiUsage().count(req.getMethod() + " id");
      if (!authorized(req)) {
        forbidden(resp);
      } else {
        write(resp, 200, org.oauth().identity(org.baseUrl()));
      }
    } else {
      write(resp, 404, List.of(SalesforceError.notEmulated(req.getMethod(), path).restBody()));
    }
  }

  /**
   * The identity endpoints take the token as a header or as {@code access_token} / {@code
   * oauth_token}.
   */
  private boolean authorized(HttpServletRequest req) {
    String header = req.getHeader("Authorization");
    if (header == null && req.getParameter("access_token") != null) {
      header = "Bearer " + req.getParameter("access_token");
    }
    if (header == null && req.getParameter("oauth_token") != null) {
      header = "Bearer " + req.getParameter("oauth_token");
    }
    return org.oauth().isValidAuthorization(header);
  }

  private static void forbidden(HttpServletResponse resp) throws IOException {
    // What Salesforce's identity service answers to a missing or expired token.
    resp.setStatus(403);
    resp.setContentType("text/plain;charset=UTF-8");
    resp.getOutputStream().write("Bad_OAuth_Token".getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The SOAP partner API, login only (jsforce logs in this way when no OAuth client is given).
   * Answers as Salesforce does: loginResponse, or a SOAP fault with HTTP 500.
   */
  private void soap(HttpServletRequest req, HttpServletResponse resp, String path)
      throws IOException {
    String version = path.substring("/services/Soap/u/".length());
    int slash = version.indexOf('/');
    version = slash < 0 ? version : version.substring(0, slash);
    org.apiUsage().count(req.getMethod() + " Soap/u");
    if (!"POST".equals(req.getMethod()) || !version.matches("\\d+\\.0")) {
      soapFault(
          resp,
          404,
          "sf:NOT_FOUND",
          "The Salesforce sandbox does not emulate "
              + req.getMethod()
              + " "
              + path
              + "; see docs/sandbox-coverage.md");
      return;
    }
    org.w3c.dom.Document doc;
    try {
      javax.xml.parsers.DocumentBuilderFactory f =
          javax.xml.parsers.DocumentBuilderFactory.newInstance();
      f.setNamespaceAware(true);
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      f.setExpandEntityReferences(false);
      doc = f.newDocumentBuilder().parse(req.getInputStream());
    } catch (Exception e) {
      soapFault(resp, 500, "soapenv:Client", "Unable to parse the SOAP request: " + e.getMessage());
      return;
    }
    org.w3c.dom.NodeList login = doc.getElementsByTagNameNS("*", "login");
    if (login.getLength() == 0) {
      soapFault(
          resp,
          500,
          "sf:UNKNOWN_EXCEPTION",
          "The Salesforce sandbox emulates only the SOAP login call; see docs/sandbox-coverage.md");
      return;
    }
    String username = text(doc, "username");
    String password = text(doc, "password");
    Map<String, Object> token;
    try {
      token = org.oauth().soapLogin(username, password, org.baseUrl());
    } catch (OAuthService.OAuthError e) {
      soapFault(resp, 500, "sf:INVALID_LOGIN", "INVALID_LOGIN: " + e.getMessage());
      return;
    }
    OAuthService o = org.oauth();
    String base = org.baseUrl();
    String xml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
            + "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\""
            + " xmlns=\"urn:partner.soap.sforce.com\""
            + " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
            + "<soapenv:Body><loginResponse><result>"
            + "<metadataServerUrl>"
            + base
            + "/services/Soap/m/"
            + version
            + "/"
            + o.orgId()
            + "</metadataServerUrl>"
            + "<passwordExpired>false</passwordExpired><sandbox>true</sandbox>"
            + "<serverUrl>"
            + base
            + "/services/Soap/u/"
            + version
            + "/"
            + o.orgId()
            + "</serverUrl>"
            + "<sessionId>"
            + token.get("access_token")
            + "</sessionId>"
            + "<userId>"
            + o.userId()
            + "</userId>"
            + "<userInfo><currencySymbol>$</currencySymbol>"
            + "<organizationId>"
            + o.orgId()
            + "</organizationId>"
            + "<organizationMultiCurrency>false</organizationMultiCurrency>"
            + "<organizationName>Twilio CRM Sandbox</organizationName>"
            + "<sessionSecondsValid>7200</sessionSecondsValid>"
            + "<userEmail>"
            + xmlEscape(o.username())
            + "</userEmail>"
            + "<userFullName>Integration User</userFullName>"
            + "<userId>"
            + o.userId()
            + "</userId>"
            + "<userLanguage>en_US</userLanguage><userLocale>en_US</userLocale>"
            + "<userName>"
            + xmlEscape(o.username())
            + "</userName>"
            + "<userTimeZone>GMT</userTimeZone><userType>Standard</userType>"
            + "</userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>";
    writeXml(resp, 200, xml);
  }

  private static String text(org.w3c.dom.Document doc, String local) {
    org.w3c.dom.NodeList n = doc.getElementsByTagNameNS("*", local);
    return n.getLength() == 0 ? "" : n.item(0).getTextContent();
  }

  private static String xmlEscape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  private static void soapFault(HttpServletResponse resp, int status, String code, String message)
      throws IOException {
    String exceptionCode = code.substring(code.indexOf(':') + 1);
    String xml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
            + "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\""
            + " xmlns:sf=\"urn:fault.partner.soap.sforce.com\""
            + " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
            + "<soapenv:Body><soapenv:Fault><faultcode>"
            + code
            + "</faultcode>"
            + "<faultstring>"
            + xmlEscape(message)
            + "</faultstring>"
            + (code.startsWith("sf:")
                ? "<detail><sf:LoginFault xsi:type=\"sf:LoginFault\"><sf:exceptionCode>"
                    + exceptionCode
                    + "</sf:exceptionCode><sf:exceptionMessage>"
                    + xmlEscape(message)
                    + "</sf:exceptionMessage></sf:LoginFault></detail>"
                : "")
            + "</soapenv:Fault></soapenv:Body></soapenv:Envelope>";
    writeXml(resp, status, xml);
  }

  private static void writeXml(HttpServletResponse resp, int status, String xml)
      throws IOException {
    byte[] bytes = xml.getBytes(StandardCharsets.UTF_8);
    resp.setStatus(status);
    resp.setContentType("text/xml;charset=UTF-8");
    resp.setContentLength(bytes.length);
    resp.getOutputStream().write(bytes);
  }

  private void token(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    org.apiUsage().count("POST oauth2/token");
    if (!"POST".equals(req.getMethod())) {
      write(
          resp, 405, Map.of("error", "invalid_request", "error_description", "must use HTTP POST"));
      return;
    }
    Map<String, String> form = new LinkedHashMap<>();
    req.getParameterMap().forEach((k, v) -> form.put(k, v.length == 0 ? "" : v[0]));
    try {
      write(resp, 200, org.oauth().token(form, org.baseUrl()));
    } catch (OAuthService.OAuthError e) {
      write(resp, 400, e.body());
    }
  }

  private static final java.util.regex.Pattern SOQL_FROM =
      java.util.regex.Pattern.compile("(?i)\\bFROM\\s+(\\w+)");

  private void data(HttpServletRequest req, HttpServletResponse resp, String rel)
      throws IOException {
    String method = req.getMethod();
    ApiUsage usage = org.apiUsage();
    String endpoint = RestApi.endpointKey(method, rel);
    usage.count(endpoint);
    if (endpoint.equals("GET query") && req.getParameter("q") != null) {
      // Also per object (not in the totals), so a test can count the look-ups of one flow.
      Matcher from = SOQL_FROM.matcher(req.getParameter("q"));
      if (from.find()) {
        usage.countQuery(from.group(1));
      }
    }
    if (!rel.replace("/", "").isEmpty()) {
      if (!org.oauth().isValidAuthorization(req.getHeader("Authorization"))) {
        write(resp, 401, List.of(SalesforceError.invalidSession().restBody()));
        return;
      }
      long used = usage.consume();
      if (used < 0) {
        resp.setHeader(
            "Sforce-Limit-Info", "api-usage=" + usage.dailyUsed() + "/" + usage.dailyLimit());
        write(
            resp,
            403,
            List.of(
                new SalesforceError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
                    .restBody()));
        return;
      }
      resp.setHeader("Sforce-Limit-Info", "api-usage=" + used + "/" + usage.dailyLimit());
    }
    Object body;
    try {
      byte[] raw = req.getInputStream().readAllBytes();
      body = raw.length == 0 ? null : org.json().readValue(raw, Object.class);
    } catch (JsonProcessingException e) {
      write(
          resp,
          400,
          List.of(
              new SalesforceError(
                      400,
                      "JSON_PARSER_ERROR",
                      "Unexpected character in JSON body: " + e.getOriginalMessage())
                  .restBody()));
      return;
    }
    Map<String, String> query = new LinkedHashMap<>();
    req.getParameterMap().forEach((k, v) -> query.put(k, v.length == 0 ? "" : v[0]));
    ApiResponse r = org.rest().handle(new RestApi.Call(method, rel, query, body));
    write(resp, r.status(), r.body());
  }

  // ---- control API (documented in CONTROL-API.md) ----

  private void control(HttpServletRequest req, HttpServletResponse resp, String cmd)
      throws IOException {
    String method = req.getMethod();
    Map<String, Object> body = Map.of();
    byte[] raw = req.getInputStream().readAllBytes();
    try {
      if (raw.length > 0) {
        body = RestApi.objectBody(org.json().readValue(raw, Object.class));
      }
      switch (method + " " + cmd) {
        case "GET records" -> {
          String object = req.getParameter("object");
          write(resp, 200, object == null ? org.allRecords() : org.records(object));
        }
        case "GET api-usage" -> write(resp, 200, org.apiUsage().snapshot());
        case "POST records/update-as" -> {
          // A person acting in the org: {user (Id or Username), object, id, fields}.
          String user =
              org.updateAs(
                  string(body, "user"),
                  string(body, "object"),
                  string(body, "id"),
                  RestApi.objectBody(body.getOrDefault("fields", Map.of())));
          write(resp, 200, Map.of("id", body.get("id"), "lastModifiedById", user));
        }
        case "POST users" -> write(resp, 201, Map.of("id", org.createUser(body)));

        case "GET events" -> {
          String channel = req.getParameter("channel");
          write(
              resp,
              200,
              org.events().stream()
                  .filter(e -> channel == null || EventLog.channelMatches(channel, e.channel()))
                  .toList());
        }
        case "POST events/age" -> {
          org.eventLog().age(Duration.ofHours(number(body, "hours", 0).longValue()));
          write(resp, 200, Map.of("retained", org.events().size()));
        }
        case "POST events/publish" -> {
          Object fields = body.getOrDefault("fields", Map.of());
          long replayId =
              org.publishPlatformEvent(
                  String.valueOf(body.get("type")), RestApi.objectBody(fields));
          write(resp, 200, Map.of("replayId", replayId));
        }
        case "GET streaming" ->
            write(
                resp,
                200,
                Map.of(
                    "subscribers", org.streamingSubscribers(),
                    "delivered", org.streamingDeliveries(),
                    "clients", org.streamingClients(),
                    "handshakes", org.streamingHandshakes()));
        case "POST streaming/drop" ->
            write(resp, 200, Map.of("dropped", org.dropStreamingClients()));
        case "POST tokens/expire" -> write(resp, 200, Map.of("expired", org.expireTokens()));
        case "GET faults" -> write(resp, 200, org.faults().snapshot());
        case "POST faults" -> {
          Faults f = org.faults();
          if (body.containsKey("unavailableRate")) {
            f.setUnavailableRate(number(body, "unavailableRate", 0).doubleValue());
          }
          if (body.containsKey("latencyMillis")) {
            f.setLatencyMillis(number(body, "latencyMillis", 0).longValue());
          }
          if (body.containsKey("orgDownMillis")) {
            f.orgDownFor(number(body, "orgDownMillis", 0).longValue());
          }
          if (body.containsKey("lostResponses")) {
            Object only = body.get("lostResponsesFor");
            f.loseResponses(
                number(body, "lostResponses", 0).intValue(),
                only == null ? null : String.valueOf(only));
          }
          write(resp, 200, f.snapshot());
        }
        case "DELETE faults" -> {
          org.faults().clear();
          write(resp, 200, org.faults().snapshot());
        }
        case "POST limits" -> {
          // Each key optional: dailyLimit, dailyRemaining (near exhaustion), streamingClientsMax.
          if (body.containsKey("dailyLimit")) {
            org.apiUsage().setDailyLimit(number(body, "dailyLimit", 1).longValue());
          }
          if (body.containsKey("dailyRemaining")) {
            org.apiUsage().setDailyRemaining(number(body, "dailyRemaining", 0).longValue());
          }
          if (body.containsKey("streamingClientsMax")) {
            org.apiUsage()
                .setStreamingClientsMax(number(body, "streamingClientsMax", 0).intValue());
          }
          write(resp, 200, org.apiUsage().snapshot());
        }
        case "POST schema/delete-field" -> {
          org.deleteField(string(body, "object"), string(body, "field"));
          write(resp, 200, Map.of("deleted", body.get("object") + "." + body.get("field")));
        }
        case "POST schema/field-access" -> {
          SObjectType.FieldAccess a;
          try {
            a = SObjectType.FieldAccess.valueOf(string(body, "access").toUpperCase(Locale.ROOT));
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("access must be none, read or edit");
          }
          org.setFieldAccess(string(body, "object"), string(body, "field"), a);
          write(
              resp,
              200,
              Map.of("field", body.get("object") + "." + body.get("field"), "access", a));
        }
        case "POST schema/cdc" -> {
          Object on = body.get("enabled");
          if (!(on instanceof Boolean)) {
            throw new IllegalArgumentException("enabled must be true or false");
          }
          org.setChangeDataCapture(string(body, "object"), (Boolean) on);
          write(resp, 200, Map.of("object", body.get("object"), "cdc", on));
        }
        case "POST reset" -> {
          org.reset(!"false".equals(req.getParameter("events")));
          write(resp, 200, Map.of("reset", true));
        }
        default ->
            write(
                resp,
                404,
                Map.of("error", "unknown control command: " + method + " /sandbox/" + cmd));
      }
    } catch (IllegalArgumentException | SalesforceError | JsonProcessingException e) {
      write(resp, 400, Map.of("error", String.valueOf(e.getMessage())));
    }
  }

  private static String string(Map<String, Object> body, String key) {
    Object v = body.get(key);
    if (v == null || v.toString().isBlank()) {
      throw new IllegalArgumentException(key + " is required");
    }
    return v.toString();
  }

  private static Number number(Map<String, Object> body, String key, Number def) {
    Object v = body.get(key);
    if (v == null) {
      return def;
    }
    if (v instanceof Number n) {
      return n;
    }
    try {
      return Double.parseDouble(v.toString());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a number, got '" + v + "'");
    }
  }

  private void write(HttpServletResponse resp, int status, Object body) throws IOException {
    resp.setStatus(status);
    if (body == null) {
      return;
    }
    byte[] bytes = org.json().writeValueAsBytes(body);
    resp.setContentType(JSON);
    resp.setContentLength(bytes.length);
    resp.getOutputStream().write(bytes);
  }

  /** Swallows the body so nothing reaches the client before the connection is aborted. */
  private static final class LostResponse extends HttpServletResponseWrapper {
    private final ServletOutputStream sink =
        new ServletOutputStream() {
          @Override
          public void write(int b) {}

          @Override
          public boolean isReady() {
            return true;
          }

          @Override
          public void setWriteListener(jakarta.servlet.WriteListener l) {}
        };

    LostResponse(HttpServletResponse resp) {
      super(resp);
    }

    @Override
    public ServletOutputStream getOutputStream() {
      return sink;
    }

    @Override
    public PrintWriter getWriter() {
      return new PrintWriter(sink);
    }

    @Override
    public void setContentLength(int len) {}

    @Override
    public void setContentLengthLong(long len) {}

    @Override
    public void flushBuffer() {}
  }

  private static void delay(long millis) {
    if (millis <= 0) {
      return;
    }
    try {
      Thread.sleep(millis); // the added latency is the point of this fault
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Org-down and latency faults for the CometD endpoint, which has its own servlet. */
  static final class StreamingFaultFilter implements Filter {
    private final Faults faults;
    private final ApiUsage usage;

    StreamingFaultFilter(Faults faults, ApiUsage usage) {
      this.faults = faults;
      this.usage = usage;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
        throws IOException, ServletException {
      if (faults.orgDown()) {
        usage.count("503 cometd");
        HttpServletResponse resp = (HttpServletResponse) response;
        resp.setStatus(503);
        resp.setContentType(JSON);
        resp.getOutputStream()
            .write(
                "[{\"errorCode\":\"SERVER_UNAVAILABLE\",\"message\":\"The org is down for maintenance.\"}]"
                    .getBytes(StandardCharsets.UTF_8));
        return;
      }
      delay(faults.latencyMillis());
      chain.doFilter(request, response);
    }
  }
}
