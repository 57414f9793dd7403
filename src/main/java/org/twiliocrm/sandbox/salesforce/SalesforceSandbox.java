package org.twiliocrm.sandbox.salesforce;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.DispatcherType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cometd.bayeux.server.BayeuxServer;
import org.cometd.server.BayeuxServerImpl;
import org.cometd.server.http.jakarta.CometDServlet;
import org.eclipse.jetty.ee11.servlet.FilterHolder;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local Salesforce org that camel-salesforce talks to unchanged: OAuth token endpoint, REST data
 * API, Streaming API over CometD with replay, API limits, faults on demand, and a control API under
 * {@code /sandbox/}. Runs in-process on its own Jetty server.
 *
 * <pre>
 * try (SalesforceSandbox org = SalesforceSandbox.start(SalesforceSandboxSettings.defaults())) {
 *   String loginUrl = org.baseUrl();
 * }
 * </pre>
 */
public final class SalesforceSandbox implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SalesforceSandbox.class);
  static final String SEED_RESOURCE = "/sandbox/salesforce/seed.json";

  /** One operation the emulated org serves: what it is, its method, and its path template. */
  public record Operation(String what, String method, String path) {
    /** "METHOD path", the key a coverage test sends. */
    public String key() {
      return method + " " + path;
    }
  }

  /**
   * Every operation the org serves. docs/sandbox-coverage.md's Salesforce table is generated from
   * this list (SalesforceCoverageTest), and that test sends each one to a running org and fails if
   * it is not routed. {@code .../} stands for {@code /services/data/v{NN.0}}.
   */
  public static final List<Operation> SUPPORTED =
      List.of(
          new Operation(
              "OAuth token: password, refresh_token, JWT bearer, client_credentials",
              "POST",
              "/services/oauth2/token"),
          new Operation("Revoke a token", "POST", "/services/oauth2/revoke"),
          new Operation("Revoke a token", "GET", "/services/oauth2/revoke"),
          new Operation(
              "SOAP login (jsforce's default; `login` only)", "POST", "/services/Soap/u/{NN.0}"),
          new Operation("Identity (the token's `id` URL)", "GET", "/id/{orgId}/{userId}"),
          new Operation("OpenID userinfo", "GET", "/services/oauth2/userinfo"),
          new Operation("Versions", "GET", "/services/data"),
          new Operation("Resources of a version", "GET", "/services/data/v{NN.0}"),
          new Operation("Limits", "GET", ".../limits"),
          new Operation("Global describe", "GET", ".../sobjects"),
          new Operation("Object info", "GET", ".../sobjects/{Type}"),
          new Operation("Describe", "GET", ".../sobjects/{Type}/describe"),
          new Operation("Create (or publish a platform event)", "POST", ".../sobjects/{Type}"),
          new Operation("Retrieve", "GET", ".../sobjects/{Type}/{Id}"),
          new Operation("Update", "PATCH", ".../sobjects/{Type}/{Id}"),
          new Operation("Delete", "DELETE", ".../sobjects/{Type}/{Id}"),
          new Operation("Get by external id", "GET", ".../sobjects/{Type}/{Field}/{Value}"),
          new Operation("Upsert by external id", "PATCH", ".../sobjects/{Type}/{Field}/{Value}"),
          new Operation(
              "Upsert by external id (POST form)", "POST", ".../sobjects/{Type}/{Field}/{Value}"),
          new Operation("Delete by external id", "DELETE", ".../sobjects/{Type}/{Field}/{Value}"),
          new Operation("Query", "GET", ".../query?q={SOQL}"),
          new Operation("queryMore", "GET", ".../query/{locator}"),
          new Operation(
              "queryAll (deleted records too, `IsDeleted = true`)", "GET", ".../queryAll?q={SOQL}"),
          new Operation("queryAll, next batch", "GET", ".../queryAll/{locator}"),
          new Operation(
              "Tooling query of `PlatformEventChannelMember` (the Change Data Capture selection)",
              "GET",
              ".../tooling/query?q={SOQL}"),
          new Operation("Composite", "POST", ".../composite"),
          new Operation("Collections create", "POST", ".../composite/sobjects"),
          new Operation("Collections update (`Id` or `id`)", "PATCH", ".../composite/sobjects"),
          new Operation(
              "Collections upsert by external id",
              "PATCH",
              ".../composite/sobjects/{Type}/{ExtField}"),
          new Operation(
              "Collections retrieve", "GET", ".../composite/sobjects/{Type}?ids=&fields="),
          new Operation(
              "Collections retrieve (POST form)", "POST", ".../composite/sobjects/{Type}"),
          new Operation("Collections delete", "DELETE", ".../composite/sobjects?ids="),
          new Operation(
              "Streaming (CometD with replay): platform events, change events",
              "POST",
              "/cometd/{NN.0}"));

  private final SalesforceSandboxSettings settings;
  private final Clock clock = Clock.systemUTC();
  private final ObjectMapper json = new ObjectMapper();
  private final JsonNode seed;
  private final OrgSchema schema;
  private final String userId;
  private final ApiUsage usage;
  private final Faults faults;
  private final OAuthService oauth;
  private final EventLog eventLog;
  private final BayeuxServerImpl bayeux = new BayeuxServerImpl();
  private final StreamingHub hub;
  private final SalesforceIds ids = new SalesforceIds(0);
  private final RecordStore store;
  private final QueryEngine queries;
  private final RestApi rest;
  private Server server;
  private String baseUrl;

  /**
   * API requests (and inspection) hold the read lock while they act; reset and restore hold the
   * write lock, so a request sees the org wholly before or wholly after a reset, never cleared and
   * half re-seeded, and a composite request never straddles one.
   */
  private final java.util.concurrent.locks.ReadWriteLock stateLock =
      new java.util.concurrent.locks.ReentrantReadWriteLock();

  public SalesforceSandbox(SalesforceSandboxSettings settings) {
    this.settings = settings;
    this.seed = readSeed(settings.seed());
    // One source of truth: the org's schema is the deployed package, unless a custom seed file
    // brings its own object definitions.
    this.schema =
        seed.has("objects") ? OrgSchema.fromSeed(seed.path("objects")) : OrgSchema.bundled();
    this.userId = SalesforceIds.to18("0055g00000TwUsr");
    this.usage = new ApiUsage(clock, settings.apiDailyLimit());
    this.faults = new Faults(clock);
    this.oauth = new OAuthService(settings, userId, clock);
    this.eventLog =
        new EventLog(
            settings.dataDir(),
            clock,
            Duration.ofHours(settings.eventRetentionHours()),
            settings.eventRetentionMax());
    this.hub = new StreamingHub(bayeux, eventLog, schema, oauth, usage);
    this.store =
        new RecordStore(
            schema,
            ids,
            clock,
            userId,
            changes -> hub.publishChanges(changes, userId, RestApi.LATEST_VERSION),
            settings.maxRecords());
    this.queries = new QueryEngine(store);
    this.rest = new RestApi(store, queries, hub, ids, usage, userId);
  }

  /** Creates and starts a sandbox. */
  public static SalesforceSandbox start(SalesforceSandboxSettings settings) {
    SalesforceSandbox s = new SalesforceSandbox(settings);
    s.start();
    return s;
  }

  public synchronized void start() {
    if (server != null) {
      throw new IllegalStateException("already started");
    }
    eventLog.open();
    loadSeedRecords();
    QueuedThreadPool threads = new QueuedThreadPool(64, 4);
    threads.setName("sf-sandbox");
    Server s = new Server(threads);
    ServerConnector connector = new ServerConnector(s);
    connector.setHost(settings.host());
    connector.setPort(settings.port());
    s.addConnector(connector);

    ServletContextHandler ctx = new ServletContextHandler("/");
    ctx.setAttribute(BayeuxServer.ATTRIBUTE, bayeux);
    ServletHolder cometd = new ServletHolder(new CometDServlet());
    // camel-salesforce does not send the BAYEUX_BROWSER cookie back; without trusting the
    // clientId every /meta/connect would fail with 402::session_unknown.
    cometd.setInitParameter("trustClientSession", "true");
    // Events reach clients only on /meta/connect replies, after the subscribe reply was processed.
    cometd.setInitParameter("metaConnectDeliverOnly", "true");
    cometd.setInitParameter("timeout", "20000");
    cometd.setInitParameter("maxInterval", "15000");
    cometd.setAsyncSupported(true);
    cometd.setInitOrder(1);
    ctx.addServlet(cometd, "/cometd/*");
    ctx.addFilter(
        new FilterHolder(new SandboxServlet.StreamingFaultFilter(faults, usage)),
        "/cometd/*",
        EnumSet.of(DispatcherType.REQUEST));
    ctx.addServlet(new ServletHolder(new SandboxServlet(this)), "/*");
    s.setHandler(ctx);
    try {
      s.start();
    } catch (Exception e) {
      try {
        s.stop();
      } catch (Exception ignored) {
        // best effort
      }
      eventLog.close();
      throw new IllegalStateException(
          "Salesforce sandbox could not start on "
              + settings.host()
              + ":"
              + settings.port()
              + ": "
              + e.getMessage(),
          e);
    }
    server = s;
    int port = connector.getLocalPort();
    baseUrl =
        settings.publicUrl().isBlank()
            ? "http://" + settings.host() + ":" + port
            : settings.publicUrl().replaceAll("/+$", "");
    LOG.info("Salesforce sandbox listening on {} ({})", baseUrl, settings);
  }

  @Override
  public synchronized void close() {
    if (server == null) {
      return;
    }
    try {
      server.stop();
    } catch (Exception e) {
      LOG.warn("Stopping the Salesforce sandbox failed: {}", e.getMessage());
    } finally {
      server = null;
      eventLog.close();
    }
  }

  /** Base URL (login URL and instance URL), e.g. http://127.0.0.1:8091. */
  public String baseUrl() {
    return baseUrl;
  }

  public int port() {
    return server == null ? -1 : ((ServerConnector) server.getConnectors()[0]).getLocalPort();
  }

  public SalesforceSandboxSettings settings() {
    return settings;
  }

  // ---- control and inspection (also reachable over HTTP, see CONTROL-API.md) ----

  public Faults faults() {
    return faults;
  }

  public ApiUsage apiUsage() {
    return usage;
  }

  /** Expires every issued access token: the next call answers 401 INVALID_SESSION_ID. */
  public int expireTokens() {
    return oauth.expireAll();
  }

  /** Number of successful logins since start or reset. */
  public long logins() {
    return oauth.logins();
  }

  /** Drops every streaming client; they must handshake again. */
  public int dropStreamingClients() {
    return hub.dropClients();
  }

  public Map<String, Integer> streamingSubscribers() {
    return hub.subscriberCounts();
  }

  /** Successful CometD handshakes per streaming client (told apart by OAuth token). */
  public Map<String, Long> streamingHandshakes() {
    return hub.handshakeCounts();
  }

  /** Streaming clients connected now. */
  public int streamingClients() {
    return hub.clientCount();
  }

  /** Events the server handed to streaming subscribers, per channel (live and replayed). */
  public Map<String, Long> streamingDeliveries() {
    return hub.deliveredCounts();
  }

  /** Creates and updates per record id since start (see RecordStore#writes). */
  public Map<String, Long> writes() {
    return store.writes();
  }

  public List<Map<String, Object>> records(String objectName) {
    stateLock.readLock().lock();
    try {
      return store.all(objectName);
    } finally {
      stateLock.readLock().unlock();
    }
  }

  public Map<String, List<Map<String, Object>>> allRecords() {
    stateLock.readLock().lock();
    try {
      Map<String, List<Map<String, Object>>> out = new LinkedHashMap<>();
      for (SObjectType t : schema.types()) {
        if (!t.isPlatformEvent()) {
          out.put(t.name(), store.all(t.name()));
        }
      }
      return out;
    } finally {
      stateLock.readLock().unlock();
    }
  }

  /**
   * Publishes a platform event as if an Apex trigger or flow in the org had fired it (for demos and
   * for tests that need an event while the REST API is faulted).
   *
   * @return the replay id of the event
   */
  public long publishPlatformEvent(String eventName, Map<String, Object> fields) {
    SObjectType t =
        schema
            .type(eventName)
            .filter(SObjectType::isPlatformEvent)
            .orElseThrow(() -> new IllegalArgumentException("not a platform event: " + eventName));
    return hub.publishPlatformEvent(
        t, FieldRules.normalize(t, fields, true, id -> java.util.Optional.empty()), userId);
  }

  /**
   * Updates a record as a named user of the org, as a person would in Salesforce's UI (an approver
   * setting Message_Approval__c.Status__c): LastModifiedById and the change event's commitUser are
   * that user. {@code user} is a User's Id or Username.
   *
   * @return the user's 18-character id
   */
  public String updateAs(String user, String object, String id, Map<String, Object> fields) {
    stateLock.readLock().lock();
    try {
      String actor = userIdOf(user);
      store.inTxn(
          txn -> {
            store.update(object, id, fields, txn.actAs(actor));
            return null;
          });
      return actor;
    } finally {
      stateLock.readLock().unlock();
    }
  }

  /** Adds a user to the org (FirstName, LastName, Username, Email); returns its id. */
  public String createUser(Map<String, Object> fields) {
    stateLock.readLock().lock();
    try {
      return store.inTxn(txn -> store.create("User", fields, txn));
    } finally {
      stateLock.readLock().unlock();
    }
  }

  private String userIdOf(String user) {
    if (user == null || user.isBlank()) {
      throw new IllegalArgumentException("user is required (a User's Id or Username)");
    }
    for (Map<String, Object> u : store.all("User")) {
      if (user.equals(u.get("Id"))
          || user.equalsIgnoreCase(String.valueOf(u.get("Username")))
          || (user.length() == 15 && String.valueOf(u.get("Id")).startsWith(user))) {
        return String.valueOf(u.get("Id"));
      }
    }
    throw new IllegalArgumentException("no user with Id or Username '" + user + "'");
  }

  public List<EventLog.StoredEvent> events() {
    return eventLog.all();
  }

  public EventLog eventLog() {
    return eventLog;
  }

  /** Back to the seeded state: records, API counts, faults and (optionally) retained events. */
  public synchronized void reset(boolean clearEvents) {
    stateLock.writeLock().lock();
    try {
      store.clear();
      queries.clear();
      usage.reset();
      hub.resetCounts();
      faults.clear();
      schema.types().forEach(SObjectType::resetAdminChanges);
      if (clearEvents) {
        eventLog.clear();
      }
      loadSeedRecords();
      loadRecords(extraSeed);
    } finally {
      stateLock.writeLock().unlock();
    }
  }

  /** Records added on top of the bundled seed ({@code sandbox --seed FILE}); kept by a reset. */
  private volatile Map<String, List<Map<String, Object>>> extraSeed = Map.of();

  /**
   * Loads records (object name -> records, {@code Id} optional) on top of the seed, and keeps them
   * as part of the seeded state a reset returns to.
   *
   * @return how many records were loaded
   */
  public synchronized int seedRecords(Map<String, List<Map<String, Object>>> records) {
    Map<String, List<Map<String, Object>>> all = new LinkedHashMap<>(extraSeed);
    records.forEach(
        (k, v) ->
            all.merge(
                k,
                v,
                (a, b) -> {
                  List<Map<String, Object>> both = new java.util.ArrayList<>(a);
                  both.addAll(b);
                  return both;
                }));
    extraSeed = Map.copyOf(all);
    stateLock.writeLock().lock();
    try {
      return loadRecords(records);
    } finally {
      stateLock.writeLock().unlock();
    }
  }

  /**
   * Replaces every record with a snapshot taken by {@link #allRecords()} ({@code sandbox
   * --state-dir}): same Ids and field values; system dates are those of the restore.
   */
  public synchronized int restoreRecords(Map<String, List<Map<String, Object>>> snapshot) {
    stateLock.writeLock().lock();
    try {
      store.clear();
      queries.clear();
      return loadRecords(snapshot);
    } finally {
      stateLock.writeLock().unlock();
    }
  }

  /**
   * Loads records in passes, so a record whose parent comes later in the file (or in another
   * object) waits for it; records that still fail name their reason.
   */
  private int loadRecords(Map<String, List<Map<String, Object>>> records) {
    List<Map.Entry<String, Map<String, Object>>> pending = new java.util.ArrayList<>();
    for (Map.Entry<String, List<Map<String, Object>>> e : records.entrySet()) {
      for (Map<String, Object> r : e.getValue()) {
        pending.add(Map.entry(e.getKey(), r));
      }
    }
    int loaded = 0;
    while (!pending.isEmpty()) {
      List<Map.Entry<String, Map<String, Object>>> failed = new java.util.ArrayList<>();
      SalesforceError last = null;
      for (Map.Entry<String, Map<String, Object>> e : pending) {
        Map<String, Object> body = new LinkedHashMap<>(e.getValue());
        body.remove("attributes");
        for (String system :
            List.of(
                "IsDeleted",
                "CreatedDate",
                "CreatedById",
                "LastModifiedDate",
                "LastModifiedById",
                "SystemModstamp")) {
          body.remove(system);
        }
        // Computed and read-only fields (Name of a person, auto-numbers) are computed again.
        schema
            .type(e.getKey())
            .ifPresent(
                t ->
                    body.keySet()
                        .removeIf(
                            k ->
                                !k.equals("Id")
                                    && t.field(k).map(f -> !f.createable()).orElse(false)));
        try {
          store.seed(e.getKey(), body);
          loaded++;
        } catch (SalesforceError err) {
          last = err;
          failed.add(e);
        }
      }
      if (failed.size() == pending.size()) {
        throw new IllegalArgumentException(
            failed.size()
                + " record(s) could not be loaded, e.g. a "
                + failed.get(0).getKey()
                + ": "
                + (last == null ? "" : last.getMessage()));
      }
      pending = failed;
    }
    return loaded;
  }

  /** The org's schema (objects and fields as the integration user sees them). */
  public OrgSchema schema() {
    return schema;
  }

  /** Simulates an admin deleting a field (preflight's "missing field"); undone by reset. */
  public void deleteField(String object, String field) {
    if (!type(object).deleteField(field)) {
      throw new IllegalArgumentException("no field " + object + "." + field);
    }
  }

  /** Simulates a change of the integration user's field-level security; undone by reset. */
  public void setFieldAccess(String object, String field, SObjectType.FieldAccess access) {
    if (!type(object).setFieldAccess(field, access)) {
      throw new IllegalArgumentException("no field " + object + "." + field);
    }
  }

  /** Simulates an admin changing the Change Data Capture selection; undone by reset. */
  public void setChangeDataCapture(String object, boolean on) {
    type(object).setCdcEnabled(on);
  }

  private SObjectType type(String object) {
    return schema
        .type(object)
        .orElseThrow(() -> new IllegalArgumentException("no object " + object));
  }

  // ---- internals used by the servlet ----

  OAuthService oauth() {
    return oauth;
  }

  /** Held by the servlet around each data API request (see {@link #stateLock}). */
  java.util.concurrent.locks.Lock apiLock() {
    return stateLock.readLock();
  }

  RestApi rest() {
    return rest;
  }

  ObjectMapper json() {
    return json;
  }

  private synchronized void loadSeedRecords() {
    JsonNode records = seed.path("records");
    Iterator<Map.Entry<String, JsonNode>> it = records.fields();
    int n = 0;
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      for (JsonNode r : e.getValue()) {
        Map<String, Object> body = json.convertValue(r, new TypeReference<>() {});
        store.seed(e.getKey(), body);
        n++;
      }
    }
    LOG.info("Salesforce sandbox seeded {} objects and {} records", schema.types().size(), n);
  }

  private JsonNode readSeed(String path) {
    try {
      if (path == null || path.isBlank()) {
        try (InputStream in = SalesforceSandbox.class.getResourceAsStream(SEED_RESOURCE)) {
          if (in == null) {
            throw new IllegalStateException("bundled seed " + SEED_RESOURCE + " is missing");
          }
          return json.readTree(in);
        }
      }
      return json.readTree(Files.readString(Path.of(path)));
    } catch (IOException e) {
      throw new UncheckedIOException(
          SalesforceSandboxSettings.PREFIX + "seed: cannot read '" + path + "': " + e.getMessage(),
          e);
    }
  }
}
