package org.twiliocrm.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.twiliocrm.config.ConfigSource;

/**
 * Runs flow test files: for each file a fresh connector in sandbox mode (both emulators on free
 * ports, an in-memory H2 database, the routes and kamelets of the tree the file belongs to), then
 * each test's steps, then its expectations, polled until they hold or the test's timeout passes. A
 * failure carries a diff of expected against actual.
 */
public final class FlowTestRunner {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern REF = Pattern.compile("\\{\\{\\s*([A-Za-z0-9_.-]+)\\s*}}");
  public static final String DEFAULT_NUMBER = "+15005550006";

  /** The outcome of one test. {@code failure} is null when it passed. */
  public record Result(String suite, String test, double seconds, String failure) {
    public boolean passed() {
      return failure == null;
    }
  }

  private final Path projectRoot;
  private final Map<String, String> extraConfig;

  /**
   * @param projectRoot where the shipped routes/ and kamelets/ are (an example's own routes/ are
   *     loaded next to them)
   */
  public FlowTestRunner(Path projectRoot, Map<String, String> extraConfig) {
    this.projectRoot = projectRoot.toAbsolutePath().normalize();
    this.extraConfig = extraConfig;
  }

  /** Runs one file; a file that cannot be loaded or started is one failed result. */
  public List<Result> run(Path file) {
    long t0 = System.nanoTime();
    FlowTestFile f;
    try {
      f = FlowTestFile.load(file);
    } catch (IOException | RuntimeException e) {
      return List.of(new Result(file.toString(), "(load)", secs(t0), e.getMessage()));
    }
    List<Result> results = new ArrayList<>();
    ConnectorApp app = null;
    try {
      Session s = new Session(f);
      app = s.start();
      for (FlowTestFile.Test t : f.tests()) {
        long t1 = System.nanoTime();
        String failure;
        try {
          failure = s.runTest(t);
        } catch (Exception e) {
          failure = "error: " + e;
        }
        results.add(new Result(f.name(), t.name(), secs(t1), failure));
      }
    } catch (Exception e) {
      results.add(new Result(f.name(), "(start)", secs(t0), "the connector did not start: " + e));
    } finally {
      if (app != null) {
        app.stop();
      }
    }
    return results;
  }

  private static double secs(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  /** One file's connector and what the tests have created so far. */
  private final class Session {
    final FlowTestFile file;
    final Map<String, String> refs = new HashMap<>();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    ConnectorApp app;
    String dbUrl;
    String twilio;
    String salesforce;
    String sfToken;

    Session(FlowTestFile file) {
      this.file = file;
    }

    ConnectorApp start() throws Exception {
      Properties p = new Properties();
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      dbUrl = "jdbc:h2:mem:flow-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
      p.setProperty("connector.mode", "sandbox");
      p.setProperty("connector.http.host", "127.0.0.1");
      p.setProperty("connector.http.port", String.valueOf(port));
      p.setProperty("connector.public-url", "http://127.0.0.1:" + port);
      p.setProperty("connector.db.url", dbUrl);
      Path tree = file.treeRoot();
      String routes = projectRoot.resolve("routes").toString();
      if (!tree.equals(projectRoot) && Files.isDirectory(tree.resolve("routes"))) {
        routes = routes + "," + tree.resolve("routes");
      }
      p.setProperty("connector.routes.location", routes);
      p.setProperty("connector.kamelets.location", projectRoot.resolve("kamelets").toString());
      Path rules = tree.resolve("rules/crm-send-rules.yaml");
      if (Files.isRegularFile(rules)) {
        p.setProperty("crm.events.rules-location", rules.toString());
      }
      // An example's own message templates (they replace templates/ for that file's connector).
      Path templates = tree.resolve("templates");
      if (!tree.equals(projectRoot) && Files.isDirectory(templates)) {
        p.setProperty("outbox.templates.location", templates.toString());
      }
      p.setProperty("sandbox.twilio.port", "0");
      p.setProperty("sandbox.salesforce.port", "0");
      p.setProperty("sandbox.salesforce.data-dir", Files.createTempDirectory("flow-sf").toString());
      p.setProperty("sandbox.twilio.lifecycle.step-millis", "20");
      p.setProperty("sandbox.twilio.validation.requests", "false");
      p.setProperty("sandbox.twilio.event-loops", "2");
      p.setProperty("outbox.poll-interval", "200ms");
      p.setProperty("crm.events.leader.mode", "none");
      // what --examples NAME loads: the example's own connector keys
      Path exampleProperties = tree.resolve(ConnectorMain.EXAMPLE_PROPERTIES);
      if (!tree.equals(projectRoot) && Files.isRegularFile(exampleProperties)) {
        Properties ex = new Properties();
        try (var in = Files.newBufferedReader(exampleProperties)) {
          ex.load(in);
        }
        ex.stringPropertyNames().forEach(k -> p.setProperty(k, ex.getProperty(k).trim()));
      }
      extraConfig.forEach(p::setProperty);
      file.config().forEach(p::setProperty);
      app = new ConnectorApp(ConfigSource.load(Map.of(), p));
      app.start();
      twilio = app.property("twilio.base-url");
      salesforce = app.property("camel.component.salesforce.loginUrl");
      if (app.config() != null
          && "true"
              .equals(p.getProperty("crm.events.enabled", app.property("crm.events.enabled")))) {
        awaitSubscribed();
      }
      return app;
    }

    /** Record changes made before the connector subscribed would never reach it. */
    void awaitSubscribed() throws Exception {
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (System.nanoTime() < deadline) {
        Map<?, ?> st = JSON.readValue(get(salesforce + "/sandbox/streaming"), Map.class);
        if (st.get("subscribers") instanceof Map<?, ?> subs && !subs.isEmpty()) {
          return;
        }
        Thread.sleep(100); // polling the emulator's state, not timing a result
      }
      throw new IllegalStateException("the CRM event routes did not subscribe within 60 s");
    }

    String runTest(FlowTestFile.Test t) throws Exception {
      Snapshot before = snapshot();
      for (Map<String, Object> step : t.steps()) {
        String err = step(step, before, t);
        if (err != null) {
          return err;
        }
      }
      return awaitExpect(t.expect(), before, t.timeout().toMillis());
    }

    String step(Map<String, Object> step, Snapshot before, FlowTestFile.Test t) throws Exception {
      String kind = step.keySet().iterator().next();
      Object v = resolve(step.get(kind));
      Map<String, Object> m = v instanceof Map<?, ?> ? FlowTestFile.stringKeys(v) : Map.of();
      switch (kind) {
        case "outbox" -> insertOutbox(m);
        case "sql" -> sql(String.valueOf(v));
        case "platformEvent" -> {
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("type", m.getOrDefault("type", "Send_Message__e"));
          body.put("fields", m.get("fields"));
          post(salesforce + "/sandbox/events/publish", body, null);
        }
        case "record" -> record(m);
        case "inboundSms" -> {
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("to", m.getOrDefault("to", DEFAULT_NUMBER));
          body.put("body", m.get("body"));
          post(
              twilio + "/sandbox/handsets/" + enc(String.valueOf(m.get("from"))) + "/messages",
              body,
              null);
        }
        case "outcomeRule" -> post(twilio + "/sandbox/outcomes", m, null);
        case "http" -> {
          String err = http(m);
          return err == null ? null : "http step: " + err;
        }
        case "readOtp" -> {
          String err = readOtp(m, t.timeout().toMillis());
          return err == null ? null : "readOtp step: " + err;
        }
        case "await" -> {
          String err =
              awaitExpect(
                  FlowTestFile.expect(FlowTestFile.stringKeys(step.get("await"))),
                  before,
                  t.timeout().toMillis());
          return err == null ? null : "await step: " + err;
        }
        default -> throw new IllegalArgumentException("unknown step " + kind);
      }
      return null;
    }

    /**
     * A request to the connector's own HTTP port, as a business application makes it (with the
     * operator token sandbox mode generated, unless {@code auth: none}); its answer is checked
     * against {@code expect} (status, and a partial JSON body) at once. Null when it holds.
     */
    String http(Map<String, Object> m) throws Exception {
      String method = String.valueOf(m.getOrDefault("method", "POST"));
      String path = String.valueOf(m.get("path"));
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create(app.config().http().publicUrl() + path));
      Object json = m.get("json");
      b.method(
          method,
          json == null
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(json)));
      if (json != null) {
        b.header("Content-Type", "application/json");
      }
      if (!"none".equals(String.valueOf(m.get("auth")))) {
        app.operators()
            .generatedToken()
            .ifPresent(tok -> b.header("Authorization", "Bearer " + tok));
      }
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      Map<String, Object> want = FlowTestFile.stringKeys(m.get("expect"));
      if (want.isEmpty()) {
        return r.statusCode() < 400
            ? null
            : method + " " + path + " answered " + r.statusCode() + " " + r.body();
      }
      Map<String, Object> actual = new LinkedHashMap<>();
      actual.put("status", r.statusCode());
      Map<String, Object> expected = new LinkedHashMap<>();
      if (want.get("status") != null) {
        expected.put("status", want.get("status"));
      }
      if (want.get("body") instanceof Map<?, ?> wb) {
        Map<String, Object> body;
        try {
          body = FlowTestFile.stringKeys(JSON.readValue(r.body(), Map.class));
        } catch (IOException e) {
          body = Map.of();
        }
        for (Map.Entry<String, Object> e : FlowTestFile.stringKeys(wb).entrySet()) {
          expected.put("body." + e.getKey(), e.getValue());
          actual.put("body." + e.getKey(), body.get(e.getKey()));
        }
      }
      StringBuilder out = new StringBuilder();
      Diff.exact(method + " " + path, List.of(expected), List.of(actual), out);
      return out.length() == 0 ? null : out.toString();
    }

    /**
     * What the user reads on the phone: the newest Verify code in the handset's inbox (waiting for
     * it up to the test's timeout), kept as {@code ref} for later steps.
     */
    String readOtp(Map<String, Object> m, long timeoutMillis) throws Exception {
      String phone = String.valueOf(m.get("phone"));
      long deadline = System.currentTimeMillis() + timeoutMillis;
      while (true) {
        List<?> inbox =
            JSON.readValue(get(twilio + "/sandbox/handsets/" + enc(phone) + "/inbox"), List.class);
        String code = null;
        for (Object o : inbox) {
          Map<String, Object> e = FlowTestFile.stringKeys(o);
          if ("verification".equals(e.get("kind")) && e.get("code") != null) {
            code = String.valueOf(e.get("code"));
          }
        }
        if (code != null) {
          refs.put(String.valueOf(m.get("ref")), code);
          return null;
        }
        if (System.currentTimeMillis() > deadline) {
          return "no Verify code reached " + phone + " within " + timeoutMillis + " ms";
        }
        Thread.sleep(100); // polling the handset's inbox; the timeout is the test's own
      }
    }

    void insertOutbox(Map<String, Object> row) throws SQLException {
      Map<String, Object> r = new LinkedHashMap<>(row);
      r.putIfAbsent("idempotency_key", "flow-" + UUID.randomUUID());
      r.putIfAbsent("channel", "sms");
      StringBuilder cols = new StringBuilder();
      StringBuilder qs = new StringBuilder();
      for (String c : r.keySet()) {
        if (!c.matches("[a-z_]+")) {
          throw new IllegalArgumentException("outbox: '" + c + "' is not a column name");
        }
        cols.append(cols.length() == 0 ? "" : ", ").append(c);
        qs.append(qs.length() == 0 ? "?" : ", ?");
      }
      try (Connection c = DriverManager.getConnection(dbUrl);
          PreparedStatement ps =
              c.prepareStatement("INSERT INTO outbox_message (" + cols + ") VALUES (" + qs + ")")) {
        int i = 1;
        for (Object o : r.values()) {
          ps.setObject(
              i++, o instanceof Map || o instanceof List ? JSON.valueToTree(o).toString() : o);
        }
        ps.executeUpdate();
      }
    }

    void sql(String statement) throws SQLException {
      try (Connection c = DriverManager.getConnection(dbUrl);
          Statement st = c.createStatement()) {
        st.execute(statement);
      }
    }

    void record(Map<String, Object> m) throws Exception {
      String object = String.valueOf(m.get("object"));
      String ref = m.get("ref") == null ? null : String.valueOf(m.get("ref"));
      String api = salesforce + "/services/data/v62.0/sobjects/" + object;
      if (m.get("update") != null) {
        String id = ref == null ? null : refs.get(ref);
        if (id == null) {
          throw new IllegalArgumentException("record update needs the ref of a created record");
        }
        send("PATCH", api + "/" + id, m.get("update"), sfToken());
      } else {
        String body = post(api, m.getOrDefault("create", Map.of()), sfToken());
        String id = String.valueOf(JSON.readValue(body, Map.class).get("id"));
        if (ref != null) {
          refs.put(ref, id);
        }
      }
    }

    String sfToken() throws Exception {
      if (sfToken == null) {
        String form =
            "grant_type=password&client_id="
                + enc(app.property("camel.component.salesforce.clientId"))
                + "&client_secret="
                + enc(app.property("camel.component.salesforce.clientSecret"))
                + "&username="
                + enc(app.property("camel.component.salesforce.userName"))
                + "&password="
                + enc(app.property("camel.component.salesforce.password"));
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(salesforce + "/services/oauth2/token"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        sfToken = String.valueOf(JSON.readValue(r.body(), Map.class).get("access_token"));
      }
      return sfToken;
    }

    Object resolve(Object v) {
      if (v instanceof String s) {
        Matcher m = REF.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
          String id = refs.get(m.group(1));
          m.appendReplacement(sb, Matcher.quoteReplacement(id == null ? m.group() : id));
        }
        m.appendTail(sb);
        return sb.toString();
      }
      if (v instanceof Map<?, ?> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, x) -> out.put(String.valueOf(k), resolve(x)));
        return out;
      }
      if (v instanceof List<?> l) {
        return l.stream().map(this::resolve).toList();
      }
      return v;
    }

    // ---- expectations

    record Snapshot(Set<String> sids, long maxOutboxId) {}

    Snapshot snapshot() throws Exception {
      Set<String> sids = new HashSet<>();
      twilioRequests(Set.of()).forEach(m -> sids.add(String.valueOf(m.get("sid"))));
      long max = 0;
      for (Map<String, Object> r : rows("SELECT * FROM outbox_message")) {
        max = Math.max(max, ((Number) r.get("id")).longValue());
      }
      return new Snapshot(sids, max);
    }

    String awaitExpect(FlowTestFile.Expect e, Snapshot before, long timeoutMillis)
        throws Exception {
      @SuppressWarnings("unchecked")
      FlowTestFile.Expect resolved = FlowTestFile.expect((Map<String, Object>) resolve(asMap(e)));
      long deadline = System.currentTimeMillis() + timeoutMillis;
      String diff;
      while (true) {
        diff = check(resolved, before);
        if (diff == null || System.currentTimeMillis() > deadline) {
          return diff;
        }
        Thread.sleep(100); // polling the actual state; the timeout is the test's own
      }
    }

    Map<String, Object> asMap(FlowTestFile.Expect e) {
      Map<String, Object> m = new LinkedHashMap<>();
      if (e.twilio() != null) {
        m.put("twilio", e.twilio());
      }
      if (e.outbox() != null) {
        m.put("outbox", e.outbox());
      }
      if (e.salesforce() != null) {
        m.put("salesforce", e.salesforce());
      }
      if (e.consent() != null) {
        m.put("consent", e.consent());
      }
      return m;
    }

    /** Null when everything holds, else the diff. */
    String check(FlowTestFile.Expect e, Snapshot before) throws Exception {
      StringBuilder out = new StringBuilder();
      if (e.twilio() != null) {
        Diff.exact("twilio requests", e.twilio(), twilioRequests(before.sids()), out);
      }
      if (e.outbox() != null) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Map<String, Object> r : rows("SELECT * FROM outbox_message ORDER BY id")) {
          if (((Number) r.get("id")).longValue() > before.maxOutboxId()) {
            rows.add(r);
          }
        }
        Diff.exact("outbox rows", e.outbox(), rows, out);
      }
      if (e.salesforce() != null) {
        for (Map<String, Object> want : e.salesforce()) {
          String object = String.valueOf(want.get("object"));
          @SuppressWarnings("unchecked")
          List<Map<String, Object>> records =
              JSON.readValue(
                  get(salesforce + "/sandbox/records?object=" + enc(object)), List.class);
          Diff.contains(
              "salesforce " + object, FlowTestFile.stringKeys(want.get("fields")), records, out);
        }
      }
      if (e.consent() != null) {
        List<Map<String, Object>> rows = rows("SELECT * FROM consent");
        for (Map<String, Object> want : e.consent()) {
          Diff.contains("consent", want, rows, out);
        }
      }
      return out.length() == 0 ? null : out.toString();
    }

    /**
     * What the connector asked Twilio for (messages, calls, verifications; {@link TwilioRequests}),
     * except what is in {@code seen}.
     */
    List<Map<String, Object>> twilioRequests(Set<String> seen) throws Exception {
      Object r = JSON.readValue(get(twilio + "/sandbox/messages"), Object.class);
      List<?> messages = r instanceof List<?> l ? l : (List<?>) ((Map<?, ?>) r).get("messages");
      List<?> calls = JSON.readValue(get(twilio + "/sandbox/calls"), List.class);
      List<?> verifications = JSON.readValue(get(twilio + "/sandbox/verifications"), List.class);
      return TwilioRequests.of(messages, calls, verifications, seen);
    }

    List<Map<String, Object>> rows(String sql) throws SQLException {
      List<Map<String, Object>> out = new ArrayList<>();
      try (Connection c = DriverManager.getConnection(dbUrl);
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery(sql)) {
        ResultSetMetaData md = rs.getMetaData();
        while (rs.next()) {
          Map<String, Object> row = new LinkedHashMap<>();
          for (int i = 1; i <= md.getColumnCount(); i++) {
            row.put(md.getColumnLabel(i).toLowerCase(java.util.Locale.ROOT), rs.getObject(i));
          }
          out.add(row);
        }
      }
      return out;
    }

    String get(String url) throws Exception {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(url)).build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() >= 300) {
        throw new IllegalStateException("GET " + url + " -> " + r.statusCode() + " " + r.body());
      }
      return r.body();
    }

    String post(String url, Object body, String bearer) throws Exception {
      return send("POST", url, body, bearer);
    }

    String send(String method, String url, Object body, String bearer) throws Exception {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create(url))
              .header("Content-Type", "application/json")
              .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
      if (bearer != null) {
        b.header("Authorization", "Bearer " + bearer);
      }
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() >= 300) {
        throw new IllegalStateException(
            method + " " + url + " -> " + r.statusCode() + " " + r.body());
      }
      return r.body();
    }
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
