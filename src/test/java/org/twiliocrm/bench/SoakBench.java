package org.twiliocrm.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.twiliocrm.sandbox.salesforce.EventLog;
import org.twiliocrm.sandbox.salesforce.SalesforceSandbox;
import org.twiliocrm.sandbox.salesforce.SalesforceSandboxSettings;
import org.twiliocrm.sandbox.twilio.TwilioSandbox;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;
import org.twiliocrm.testsupport.ConnectorProcess;
import org.twiliocrm.testsupport.FreePort;
import org.twiliocrm.testsupport.TestDatabase;
import org.twiliocrm.twilio.TwilioSignature;
import org.twiliocrm.webhook.MessageStatus;

/**
 * Soak (not a test; {@code bash bench/run soak [MINUTES=10]}): three packaged connector processes
 * (child JVMs, {@link ConnectorProcess}) on one PostgreSQL schema, sharing one Twilio sandbox and
 * one Salesforce sandbox org run in this JVM, behind a small front proxy that stands for the
 * Kubernetes Service (public URL of every process: webhooks go to any ready process, and a request
 * whose connection fails or that answers 503 is tried on another one, as an ingress with {@code
 * proxy_next_upstream error http_503 non_idempotent} does).
 *
 * <p>For MINUTES, at a steady rate: outbox rows are inserted (each sent once at the Twilio sandbox,
 * whose status callbacks come back signed through the proxy), signed inbound replies are posted
 * (each a Task), and {@code Send_Message__e} events are published in the org (each an outbox row).
 * Meanwhile, scaled to the duration (times for 10 minutes): the org goes down for a tenth of it (1
 * minute, from 2:00), the CRM events leader is killed with SIGKILL and restarted (4:30), and one
 * follower is stopped with SIGTERM (7:00). Then traffic stops, the backlog drains, and the report
 * checks that every row was sent exactly once, every acknowledged callback is stored once and its
 * message record is in the org once with the last status, its change history forward-only, no Task
 * is duplicated or missing, and no event is missed or doubled. It prints the Salesforce API calls
 * per 1,000 messages, leader changes and recovery times, and exits 1 when a check fails.
 *
 * <p>Rates: {@code -Dsoak.rows-per-second=4 -Dsoak.replies-per-second=1
 * -Dsoak.events-per-second=1}. The packaged jar: {@code -Dconnector.jar=...}.
 */
public final class SoakBench {
  private static final String FROM = "+15005550006";
  private static final String EVENT_CHANNEL = "/event/Send_Message__e";
  private static final int CONTACTS = 100;
  private static final Pattern MARKER = Pattern.compile("\\[(row|evt)-(\\d+)\\]");
  private static final Pattern REPLY_MARKER = Pattern.compile("\\[reply-(\\d+)\\]");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  private final double minutes;
  private final long totalMillis;
  private final Path work;
  private final TwilioSandbox twilio;
  private final SalesforceSandbox org;
  private final TestDatabase db;
  private final Front front;
  private final Map<String, String> baseEnv = new HashMap<>();
  private final List<Node> nodes = new CopyOnWriteArrayList<>();
  private final List<String> timeline = new CopyOnWriteArrayList<>();
  private final long t0 = System.nanoTime();
  private final List<String> failures = new ArrayList<>();
  private final Map<String, List<String>> failureExamples = new LinkedHashMap<>();

  // traffic
  private final AtomicInteger rows = new AtomicInteger();
  private final AtomicInteger replies = new AtomicInteger();
  private final Set<Integer> repliesAcked = ConcurrentHashMap.newKeySet();
  private final Map<Integer, String> repliesRefused = new ConcurrentHashMap<>();
  private final AtomicInteger events = new AtomicInteger();
  private final AtomicLong trafficErrors = new AtomicLong();
  private long cometdAtStart;

  /** One connector process: its name, instance id and the child JVM. */
  final class Node {
    final String name;
    final String instanceId;
    final ConnectorProcess process;
    final long startedNanos = System.nanoTime();
    volatile long readyNanos;
    volatile boolean ready;

    Node(String name, String instanceId, ConnectorProcess process) {
      this.name = name;
      this.instanceId = instanceId;
      this.process = process;
    }

    /** Its last leadership line says it holds the Salesforce subscriptions. */
    boolean leads() {
      if (!process.isAlive()) {
        return false;
      }
      String text = process.output();
      return text.lastIndexOf("holds the Salesforce") > text.lastIndexOf("leadership lost");
    }

    int leaderships() {
      return count(process.output(), "holds the Salesforce");
    }

    @Override
    public String toString() {
      return name + " (" + instanceId + ", pid " + process.pid() + ")";
    }
  }

  SoakBench(double minutes, Path work) throws Exception {
    this.minutes = minutes;
    this.totalMillis = (long) (minutes * 60_000);
    this.work = work;
    Map<String, String> sb = new HashMap<>();
    sb.put("sandbox.twilio.port", "0");
    sb.put("sandbox.twilio.validation.requests", "false");
    sb.put("sandbox.twilio.max-in-flight", "1000");
    // Twilio's own timeout for a status callback is 15 s; the sandbox's default 5 s is too short
    // for a 2-core machine running three connectors and the front.
    sb.put("sandbox.twilio.callback.timeout-millis", "15000");
    this.twilio = TwilioSandbox.start(TwilioSandboxSettings.from(sb::get));
    this.org =
        SalesforceSandbox.start(
            SalesforceSandboxSettings.defaults().withPort(0).withDataDir(work.resolve("sf")));
    this.db = TestDatabase.postgres("soak");
    this.front = new Front(FreePort.find(), nodes);
  }

  public static void main(String[] args) throws Exception {
    double minutes = args.length > 0 ? Double.parseDouble(args[0]) : 10;
    Path work = Files.createTempDirectory("soak");
    System.out.printf(
        "soak: %s minutes, 3 connector processes (%s), work dir %s; machine %d cores, load average"
            + " %.1f at start%n",
        minutes,
        ConnectorProcess.jar(),
        work,
        Runtime.getRuntime().availableProcessors(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    SoakBench soak = new SoakBench(minutes, work);
    int rc;
    try {
      rc = soak.run();
    } finally {
      soak.close();
    }
    if (rc == 0) {
      deleteTree(work);
    } else {
      System.out.println("work dir kept (connector logs): " + work);
    }
    System.exit(rc);
  }

  int run() throws Exception {
    seedContacts();
    baseEnv.put("CONNECTOR_MODE", "sandbox");
    baseEnv.put("CONNECTOR_DB_URL", db.url());
    baseEnv.put("CONNECTOR_DB_USER", db.user());
    baseEnv.put("SANDBOX_SALESFORCE_EXTERNAL_URL", org.baseUrl());
    baseEnv.put("SANDBOX_TWILIO_EXTERNAL_URL", twilio.baseUrl());
    baseEnv.put("CONNECTOR_PUBLIC_URL", front.baseUrl());
    baseEnv.put("CRM_EVENTS_ENABLED", "true");
    baseEnv.put("CRM_EVENTS_LEADER_MODE", "file");
    baseEnv.put("CRM_EVENTS_LEADER_ROOT", work.resolve("lock").toString());
    baseEnv.put("CRM_EVENTS_LEADER_INTERVAL", "1s");
    for (String k : System.getProperties().stringPropertyNames()) {
      if (k.startsWith("soak.env.")) {
        baseEnv.put(k.substring("soak.env.".length()), System.getProperty(k));
      }
    }

    // a first (it migrates the schema), then b and c side by side
    Node a = startNode("a", "soak-a");
    awaitReady(a);
    Node b = startNode("b", "soak-b");
    Node c = startNode("c", "soak-c");
    awaitReady(b);
    awaitReady(c);
    front.start();
    waitFor(Duration.ofMinutes(2), () -> leader() != null);
    log("all three ready; leader " + leader());

    double rowRate = Double.parseDouble(System.getProperty("soak.rows-per-second", "4"));
    double replyRate = Double.parseDouble(System.getProperty("soak.replies-per-second", "1"));
    double eventRate = Double.parseDouble(System.getProperty("soak.events-per-second", "1"));
    long callsAtStart = org.apiUsage().total();
    cometdAtStart =
        org.apiUsage().byEndpoint().entrySet().stream()
            .filter(e -> e.getKey().contains("cometd"))
            .mapToLong(Map.Entry::getValue)
            .sum();
    ScheduledExecutorService traffic = Executors.newScheduledThreadPool(6);
    List<ScheduledFuture<?>> flows = new ArrayList<>();
    flows.add(every(traffic, rowRate, this::insertRow));
    java.util.concurrent.ExecutorService posts = Executors.newFixedThreadPool(16);
    flows.add(every(traffic, replyRate, () -> posts.execute(this::postReply)));
    flows.add(every(traffic, eventRate, this::publishEvent));
    long start = System.nanoTime();
    log(
        String.format(
            "traffic on: %.1f rows/s, %.1f replies/s, %.1f CRM events/s",
            rowRate, replyRate, eventRate));

    // ---- the org goes down for a tenth of the run (a minute of ten), from 20 %
    sleepUntil(start, 0.20);
    long outage = totalMillis / 10;
    org.faults().orgDownFor(outage);
    Instant downAt = Instant.now();
    log("Salesforce org DOWN for " + outage / 1000 + " s");
    sleepUntilMillis(start, (long) (0.20 * totalMillis) + outage);
    Instant upAt = Instant.now();
    log("Salesforce org up again");
    // How long until every record change queued before the org came back is in it (measured on
    // the side, so the schedule below keeps its times).
    java.util.concurrent.CompletableFuture<Long> writebackRecovery =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () ->
                timeUntil(
                    Duration.ofMillis(Math.max(300_000, totalMillis / 2)),
                    () ->
                        db.count(
                                "SELECT COUNT(*) FROM message_state WHERE crm_dirty_since < ? AND"
                                    + " COALESCE(crm_synced_version, 0) < crm_version",
                                Timestamp.from(upAt))
                            == 0));
    writebackRecovery.thenAccept(
        ms ->
            log(
                "write-back backlog from the outage "
                    + (ms < 0
                        ? "NOT cleared"
                        : "cleared " + ms / 1000.0 + " s after the org came back")));

    // ---- the leader is killed with SIGKILL and restarted, at 45 %
    sleepUntil(start, 0.45);
    Node leader = leader();
    long failoverMillis = -1;
    java.util.concurrent.CompletableFuture<Long> restarted =
        java.util.concurrent.CompletableFuture.completedFuture(-1L);
    if (leader == null) {
      fail("leader", "no leader to kill at " + elapsed());
    } else {
      long killAt = System.nanoTime();
      leader.process.kill();
      leader.ready = false;
      log("SIGKILL " + leader);
      Node again = startNode(leader.name, leader.instanceId + "-2");
      failoverMillis =
          timeUntilFrom(
              killAt,
              Duration.ofMinutes(3),
              () -> {
                Node l = leader();
                return l != null
                    && l != leader
                    && org.streamingSubscribers().getOrDefault(EVENT_CHANNEL, 0) == 1;
              });
      log(
          "new leader "
              + leader()
              + (failoverMillis < 0 ? " NOT elected" : " after " + failoverMillis / 1000.0 + " s"));
      restarted =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> {
                awaitReady(again);
                long ms = (again.readyNanos - killAt) / 1_000_000;
                log("restarted " + again + " ready " + ms / 1000.0 + " s after the kill");
                return ms;
              });
    }

    // ---- one follower is stopped with SIGTERM, at 70 %
    sleepUntil(start, 0.70);
    Node follower =
        nodes.stream().filter(n -> n.process.isAlive() && !n.leads()).findFirst().orElse(null);
    long termMillis = -1;
    int termExit = -1;
    if (follower == null) {
      fail("sigterm", "no follower to stop at " + elapsed());
    } else {
      long termAt = System.nanoTime();
      log("SIGTERM " + follower);
      // SIGTERM, then up to the base's 60 s grace period (deploy/kubernetes/base) before the
      // SIGKILL Kubernetes would send.
      ProcessHandle.of(follower.process.pid()).ifPresent(ProcessHandle::destroy);
      try {
        termExit = follower.process.awaitExit(Duration.ofSeconds(60));
      } catch (AssertionError e) {
        fail("sigterm", follower + " still running 60 s after SIGTERM");
        follower.process.kill();
      }
      termMillis = (System.nanoTime() - termAt) / 1_000_000;
      follower.ready = false;
      log("  exited with " + termExit + " after " + termMillis / 1000.0 + " s");
      if (termExit != 0 && termExit != 143) {
        fail("sigterm", follower + " exited with " + termExit + " on SIGTERM");
      }
      String out = follower.process.output();
      // Shutdown logs no stack traces (issue 15, point 5): none after the drain begins.
      int shutdown = out.lastIndexOf("Stopping: readiness DOWN");
      if (shutdown >= 0 && out.indexOf("\tat ", shutdown) > 0) {
        fail("sigterm", "stack trace in the log after SIGTERM (" + follower + ")");
      }
    }

    // ---- traffic stops; the backlog drains
    sleepUntil(start, 1.0);
    for (ScheduledFuture<?> f : flows) {
      f.cancel(false);
    }
    traffic.shutdown();
    traffic.awaitTermination(30, TimeUnit.SECONDS);
    posts.shutdown();
    posts.awaitTermination(60, TimeUnit.SECONDS);
    log(
        String.format(
            "traffic off: %d rows, %d replies (%d acknowledged), %d CRM events; draining",
            rows.get(), replies.get(), repliesAcked.size(), events.get()));
    long drained = timeUntil(Duration.ofMinutes(5), this::quiet);
    log(drained < 0 ? "backlog NOT drained in 5 minutes" : "drained in " + drained / 1000.0 + " s");
    long writebackRecovered = writebackRecovery.get();
    long restartReadyMillis = restarted.exceptionally(e -> -1L).get();

    long calls = org.apiUsage().total() - callsAtStart;
    return report(
        calls, downAt, upAt, writebackRecovered, failoverMillis, restartReadyMillis, termMillis);
  }

  // ------------------------------------------------------------------ traffic

  private ScheduledFuture<?> every(ScheduledExecutorService s, double perSecond, Runnable r) {
    long periodMicros = (long) (1_000_000 / perSecond);
    return s.scheduleAtFixedRate(
        () -> {
          try {
            r.run();
          } catch (RuntimeException e) {
            trafficErrors.incrementAndGet();
            note("traffic", e.toString());
          }
        },
        0,
        periodMicros,
        TimeUnit.MICROSECONDS);
  }

  private java.sql.Connection inserts;

  private void insertRow() {
    int n = rows.get();
    try {
      if (inserts == null || inserts.isClosed()) {
        inserts = db.connect();
      }
      try (java.sql.PreparedStatement ps =
          inserts.prepareStatement(
              "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body)"
                  + " VALUES (?, 'sms', ?, ?, ?)")) {
        ps.setString(1, "soak-row-" + n);
        ps.setString(2, String.format("+1415777%04d", n % 10_000));
        ps.setString(3, FROM);
        ps.setString(4, "Soak message [row-" + n + "]");
        ps.executeUpdate();
      }
      rows.incrementAndGet();
    } catch (java.sql.SQLException e) {
      inserts = null;
      throw new IllegalStateException("insert row-" + n + ": " + e.getMessage(), e);
    }
  }

  private void publishEvent() {
    int n = events.getAndIncrement();
    // In-process, as a flow in the org would: it works while the org's API is down too, and the
    // subscriber picks the event up from its replay id when it reconnects.
    org.publishPlatformEvent(
        "Send_Message__e",
        Map.of(
            "To__c",
            String.format("+1415888%04d", n % 10_000),
            "Body__c",
            "Soak event [evt-" + n + "]"));
  }

  private void postReply() {
    int n = replies.getAndIncrement();
    String url = front.baseUrl() + "/webhooks/twilio/inbound";
    String sid = "SM" + String.format("%032x", 0x500000L + n);
    Map<String, String> f = new LinkedHashMap<>();
    f.put("AccountSid", TwilioSandboxSettings.DEFAULT_ACCOUNT_SID);
    f.put("MessageSid", sid);
    f.put("SmsSid", sid);
    f.put("SmsMessageSid", sid);
    f.put("From", contactPhone(n % CONTACTS));
    f.put("To", FROM);
    f.put("Body", "Yes, see you then [reply-" + n + "]");
    f.put("NumMedia", "0");
    f.put("NumSegments", "1");
    f.put("SmsStatus", "received");
    f.put("ApiVersion", "2010-04-01");
    String body =
        f.entrySet().stream()
            .map(
                e ->
                    URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)
                        + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
            .collect(Collectors.joining("&"));
    String signature =
        new TwilioSignature(TwilioSandboxSettings.DEFAULT_AUTH_TOKEN).signSingle(url, f);
    // Twilio does not retry an inbound message on an HTTP error; the front already tried the other
    // processes. A reply not acknowledged is reported, and not expected in the CRM.
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(url))
                  .timeout(Duration.ofSeconds(30))
                  .header("Content-Type", "application/x-www-form-urlencoded")
                  .header("X-Twilio-Signature", signature)
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() / 100 == 2) {
        repliesAcked.add(n);
      } else {
        repliesRefused.put(n, "HTTP " + r.statusCode());
      }
    } catch (IOException e) {
      repliesRefused.put(n, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void seedContacts() {
    List<Map<String, Object>> contacts = new ArrayList<>();
    for (int i = 0; i < CONTACTS; i++) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("FirstName", "Soak");
      c.put("LastName", "Contact " + i);
      c.put("MobilePhone", contactPhone(i));
      contacts.add(c);
    }
    org.seedRecords(Map.of("Contact", contacts));
  }

  private static String contactPhone(int i) {
    return String.format("+1415666%04d", i);
  }

  /** Nothing left to do: every row final, every record and action written back. */
  private boolean quiet() {
    return db.count(
                "SELECT COUNT(*) FROM outbox_message WHERE status NOT IN ('SENT', 'FAILED',"
                    + " 'BLOCKED', 'HELD')")
            == 0
        && db.count("SELECT COUNT(*) FROM outbox_message") >= rows.get() + events.get()
        && db.count("SELECT COUNT(*) FROM webhook_event WHERE state = 'NEW'") == 0
        && db.count(
                "SELECT COUNT(*) FROM message_state WHERE COALESCE(crm_synced_version, 0) <"
                    + " crm_version")
            == 0
        && db.count("SELECT COUNT(*) FROM crm_action WHERE state = 'PENDING'") == 0
        && twilioPending() == 0;
  }

  private long twilioPending() {
    return twilioMessages().stream()
        .filter(m -> !MessageStatus.isFinal(String.valueOf(m.get("status"))))
        .count();
  }

  // ------------------------------------------------------------------ report

  @SuppressWarnings("unchecked")
  private int report(
      long calls,
      Instant downAt,
      Instant upAt,
      long writebackRecovered,
      long failoverMillis,
      long restartReadyMillis,
      long termMillis)
      throws Exception {
    // (1) every row and every event sent exactly once at Twilio
    List<Map<String, Object>> messages = twilioMessages();
    Map<String, Integer> sentPerMarker = new HashMap<>();
    int unmarked = 0;
    for (Map<String, Object> m : messages) {
      if (!"outbound-api".equals(m.get("direction"))) {
        continue;
      }
      Matcher k = MARKER.matcher(String.valueOf(m.get("body")));
      if (k.find()) {
        sentPerMarker.merge(k.group(1) + "-" + k.group(2), 1, Integer::sum);
      } else {
        unmarked++;
      }
    }
    int rowsOnce = 0;
    for (int i = 0; i < rows.get(); i++) {
      int c = sentPerMarker.getOrDefault("row-" + i, 0);
      if (c == 1) {
        rowsOnce++;
      } else {
        fail("rows sent exactly once", "row-" + i + " created " + c + " times at Twilio");
      }
    }
    List<List<String>> notSent =
        db.rows(
            "SELECT idempotency_key, status, reason FROM outbox_message WHERE status <> 'SENT'"
                + " ORDER BY id");
    for (List<String> r : notSent) {
      fail(
          "rows sent exactly once", "outbox row " + r.get(0) + " is " + r.get(1) + ": " + r.get(2));
    }

    // (4) every CRM event exactly one outbox row, sent once
    Map<Integer, Long> rowsPerEvent = new HashMap<>();
    for (List<String> r :
        db.rows("SELECT body FROM outbox_message WHERE body LIKE 'Soak event [evt-%'")) {
      Matcher k = MARKER.matcher(r.get(0));
      if (k.find()) {
        rowsPerEvent.merge(Integer.parseInt(k.group(2)), 1L, Long::sum);
      }
    }
    int eventsOnce = 0;
    for (int i = 0; i < events.get(); i++) {
      long c = rowsPerEvent.getOrDefault(i, 0L);
      int sent = sentPerMarker.getOrDefault("evt-" + i, 0);
      if (c == 1 && sent == 1) {
        eventsOnce++;
      } else {
        fail(
            "CRM events exactly once",
            "evt-" + i + ": " + c + " outbox rows, " + sent + " creates at Twilio");
      }
    }
    long rejections = db.count("SELECT COUNT(*) FROM crm_event_rejection");
    if (rejections > 0) {
      fail("CRM events exactly once", rejections + " events rejected (crm_event_rejection)");
    }

    // (2) callbacks: every acknowledged callback stored once; each message once in the org, with
    // the last acknowledged status; its history in the org only moves forward.
    Map<String, List<String>> storedCallbacks = new HashMap<>();
    for (List<String> r :
        db.rows("SELECT sid, status FROM webhook_event WHERE sid IS NOT NULL ORDER BY id")) {
      storedCallbacks.computeIfAbsent(r.get(0), k -> new ArrayList<>()).add(r.get(1));
    }
    Map<String, List<Map<String, Object>>> recordsBySid =
        org.records("Twilio_Message__c").stream()
            .collect(Collectors.groupingBy(m -> String.valueOf(m.get("Message_Sid__c"))));
    Map<String, List<String>> history = statusHistory();
    Map<String, String> connectorStatus = new HashMap<>();
    for (List<String> r : db.rows("SELECT message_sid, status FROM message_state")) {
      connectorStatus.put(r.get(0), r.get(1));
    }
    Map<String, Long> ackedByStatus = new TreeMap<>();
    Files.writeString(work.resolve("twilio-messages.json"), JSON.writeValueAsString(messages));
    long callbacksAcked = 0;
    long callbacksNotAcked = 0;
    long callbackPosts = 0;
    int messagesChecked = 0;
    int recordWrites = 0;
    for (Map<String, Object> m : messages) {
      if (!"outbound-api".equals(m.get("direction"))) {
        continue;
      }
      messagesChecked++;
      String sid = String.valueOf(m.get("sid"));
      // A status is acknowledged when one of its posts (first or retried) got a 2xx.
      List<String> acked = new ArrayList<>();
      Set<String> posted = new java.util.LinkedHashSet<>();
      int posts = 0;
      for (Map<String, Object> e : (List<Map<String, Object>>) m.get("events")) {
        if (!"callback".equals(e.get("type"))) {
          continue;
        }
        posts++;
        String st = String.valueOf(e.get("status"));
        posted.add(st);
        Object http = e.get("httpStatus");
        if (http instanceof Number h && h.intValue() / 100 == 2 && !acked.contains(st)) {
          acked.add(st);
        }
      }
      callbackPosts += posts;
      for (String st : posted) {
        if (!acked.contains(st)) {
          callbacksNotAcked++;
          note("callbacks not acknowledged (Twilio gave up)", sid + " " + st);
        }
      }
      callbacksAcked += acked.size();
      List<String> stored = storedCallbacks.getOrDefault(sid, List.of());
      for (String s : acked) {
        long n = stored.stream().filter(s::equals).count();
        if (n != 1) {
          fail("callbacks stored exactly once", sid + " " + s + " stored " + n + " times");
        }
      }
      List<Map<String, Object>> recs = recordsBySid.getOrDefault(sid, List.of());
      if (recs.size() != 1) {
        fail("callbacks in the CRM exactly once", sid + ": " + recs.size() + " Twilio_Message__c");
        continue;
      }
      Map<String, Object> rec = recs.get(0);
      String inCrm = String.valueOf(rec.get("Status__c"));
      String last =
          acked.stream().reduce((x, y) -> MessageStatus.canMove(x, y) ? y : x).orElse(null);
      String connector = connectorStatus.get(sid);
      // The record carries the connector's (forward-only) status, which is at least the last
      // acknowledged callback's; a callback the front timed out on may still have been stored.
      if (!inCrm.equals(connector) || (last != null && MessageStatus.canMove(inCrm, last))) {
        fail(
            "callbacks in the CRM exactly once",
            sid
                + ": Status__c "
                + inCrm
                + ", connector "
                + connector
                + ", last acknowledged callback "
                + last);
      }
      if (acked.contains(String.valueOf(m.get("status"))) && !inCrm.equals(m.get("status"))) {
        fail(
            "callbacks in the CRM exactly once",
            sid + ": Status__c " + inCrm + ", final status at Twilio " + m.get("status"));
      }
      acked.forEach(st -> ackedByStatus.merge(st, 1L, Long::sum));
      List<String> h = history.getOrDefault(String.valueOf(rec.get("Id")), List.of());
      recordWrites += h.size();
      for (int i = 1; i < h.size(); i++) {
        if (!MessageStatus.canMove(h.get(i - 1), h.get(i))) {
          fail("callbacks in order", sid + ": status history in the org " + h);
          break;
        }
      }
    }
    for (Map.Entry<String, List<Map<String, Object>>> e : recordsBySid.entrySet()) {
      if (e.getValue().size() > 1) {
        fail(
            "callbacks in the CRM exactly once",
            e.getKey() + ": " + e.getValue().size() + " records");
      }
    }

    // (3) Tasks: one per acknowledged reply, none doubled
    Map<Integer, Long> tasksPerReply = new TreeMap<>();
    for (Map<String, Object> t : org.records("Task")) {
      Matcher k =
          REPLY_MARKER.matcher(String.valueOf(t.get("Description")) + " " + t.get("Subject"));
      if (k.find()) {
        tasksPerReply.merge(Integer.parseInt(k.group(1)), 1L, Long::sum);
      }
    }
    int tasksOnce = 0;
    for (int n : repliesAcked) {
      long c = tasksPerReply.getOrDefault(n, 0L);
      if (c == 1) {
        tasksOnce++;
      } else {
        fail("Tasks exactly once", "reply-" + n + ": " + c + " Tasks");
      }
    }
    tasksPerReply.forEach(
        (n, c) -> {
          if (!repliesAcked.contains(n) && c > 0) {
            note("Tasks for replies not acknowledged", "reply-" + n + ": " + c + " Tasks");
          }
        });

    // figures
    long sentMessages = rows.get() + events.get();
    long allMessages = sentMessages + repliesAcked.size();
    int leaderChanges = nodes.stream().mapToInt(Node::leaderships).sum();
    System.out.println();
    System.out.println("===== soak report =====");
    System.out.printf(
        "duration %.1f min of traffic; load average now %.1f%n",
        minutes, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    for (String t : timeline) {
      System.out.println("  " + t);
    }
    System.out.printf(
        "rows: %d inserted, %d sent exactly once at Twilio (%d outbound messages at Twilio, %d"
            + " without a soak marker)%n",
        rows.get(), rowsOnce, messagesChecked, unmarked);
    System.out.printf(
        "CRM events: %d published, %d became exactly one outbox row sent once; %d rejections;"
            + " CometD handshakes %d%n",
        events.get(),
        eventsOnce,
        rejections,
        org.apiUsage().byEndpoint().getOrDefault("cometd /meta/handshake", 0L));
    System.out.printf(
        "status callbacks: %d acknowledged (%d posts with retries; %d never acknowledged), for %d"
            + " messages;"
            + " %d status writes seen in the org's change history; acknowledged by status %s;"
            + " webhook events stored %d%n",
        callbacksAcked,
        callbackPosts,
        callbacksNotAcked,
        messagesChecked,
        recordWrites,
        ackedByStatus,
        db.count("SELECT COUNT(*) FROM webhook_event"));
    System.out.printf(
        "inbound replies: %d posted, %d acknowledged, %d refused; %d with exactly one Task%n",
        replies.get(), repliesAcked.size(), repliesRefused.size(), tasksOnce);
    System.out.printf(
        "Salesforce API calls: %d for %d messages (%d outbound + %d replies) = %.1f per 1,000"
            + " messages (503s while down included); by endpoint %s%n",
        calls,
        allMessages,
        sentMessages,
        repliesAcked.size(),
        allMessages == 0 ? 0 : calls * 1000.0 / allMessages,
        top(org.apiUsage().byEndpoint(), 8));
    long cometd =
        org.apiUsage().byEndpoint().entrySet().stream()
                .filter(e -> e.getKey().contains("cometd"))
                .mapToLong(Map.Entry::getValue)
                .sum()
            - cometdAtStart;
    System.out.printf(
        "  of which CometD (long polls, handshakes) %d; REST and OAuth calls %.1f per 1,000"
            + " messages%n",
        cometd, allMessages == 0 ? 0 : (calls - cometd) * 1000.0 / allMessages);
    System.out.printf(
        "leader changes (times a process took the subscriptions): %d; org outage %s -> %s, write-back"
            + " caught up %s after; leader SIGKILL -> new leader %s, restarted process ready %s;"
            + " SIGTERM -> exit %s%n",
        leaderChanges,
        downAt,
        upAt,
        seconds(writebackRecovered),
        seconds(failoverMillis),
        seconds(restartReadyMillis),
        seconds(termMillis));
    System.out.printf(
        "front: %d requests, %d retried on another process, %d failed; traffic errors %d%n",
        front.requests.get(), front.retried.get(), front.failed.get(), trafficErrors.get());
    for (Node n : nodes) {
      System.out.printf(
          "  %s: %s, %d leaderships, ready %s after start%n",
          n,
          n.process.isAlive() ? "running" : "stopped",
          n.leaderships(),
          n.readyNanos == 0 ? "never" : seconds((n.readyNanos - n.startedNanos) / 1_000_000));
    }
    if (!repliesRefused.isEmpty()) {
      note("replies refused", repliesRefused.toString());
    }
    for (Map.Entry<String, List<String>> e : failureExamples.entrySet()) {
      System.out.printf("  %s (%d): %s%n", e.getKey(), e.getValue().size(), examples(e.getValue()));
    }
    if (failures.isEmpty()) {
      System.out.println(
          "PASS: every row sent exactly once, every acknowledged callback stored once and in the"
              + " CRM once in order, no Task missing or doubled, no CRM event missed or doubled");
      return 0;
    }
    System.out.println("FAIL: " + failures.stream().distinct().toList());
    return 1;
  }

  /** Status__c values per Twilio_Message__c id, in the order the org's change events carry them. */
  @SuppressWarnings("unchecked")
  private Map<String, List<String>> statusHistory() {
    Map<String, List<String>> out = new HashMap<>();
    for (EventLog.StoredEvent e : org.events()) {
      Object payload = e.data().get("payload");
      if (!(payload instanceof Map<?, ?> p)) {
        continue;
      }
      Object status = p.get("Status__c");
      Object header = p.get("ChangeEventHeader");
      if (status == null
          || !(header instanceof Map<?, ?> h)
          || !"Twilio_Message__c".equals(h.get("entityName"))) {
        continue;
      }
      for (Object id : (Collection<Object>) h.get("recordIds")) {
        out.computeIfAbsent(String.valueOf(id), k -> new ArrayList<>()).add(String.valueOf(status));
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private List<Map<String, Object>> twilioMessages() {
    try {
      String body =
          HTTP.send(
                  HttpRequest.newBuilder(URI.create(twilio.baseUrl() + "/sandbox/messages"))
                      .timeout(Duration.ofSeconds(60))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      return JSON.readValue(body, List.class);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------------ nodes

  private Node startNode(String name, String instanceId) throws IOException {
    Map<String, String> env = new HashMap<>(baseEnv);
    env.put("OUTBOX_INSTANCE_ID", instanceId);
    int port = FreePort.find();
    Node n = new Node(name, instanceId, ConnectorProcess.start(work.resolve(name), env, port));
    nodes.add(n);
    return n;
  }

  private void awaitReady(Node n) {
    n.process.awaitReady(Duration.ofMinutes(4));
    n.readyNanos = System.nanoTime();
    n.ready = true;
  }

  private Node leader() {
    List<Node> leaders = nodes.stream().filter(Node::leads).toList();
    return leaders.size() == 1 ? leaders.get(0) : null;
  }

  private void close() throws Exception {
    for (Node n : nodes) {
      n.process.kill();
    }
    front.stop();
    twilio.close();
    org.close();
    db.close();
  }

  // ------------------------------------------------------------------ helpers

  private void sleepUntil(long start, double fraction) throws InterruptedException {
    sleepUntilMillis(start, (long) (fraction * totalMillis));
  }

  private static void sleepUntilMillis(long start, long millis) throws InterruptedException {
    long wait = millis - (System.nanoTime() - start) / 1_000_000;
    if (wait > 0) {
      Thread.sleep(wait); // a benchmark's schedule, not a test's wait
    }
  }

  /** Milliseconds until the condition holds (polled every 250 ms), or -1 after the timeout. */
  private static long timeUntil(Duration timeout, BooleanSupplier condition) {
    return timeUntilFrom(System.nanoTime(), timeout, condition);
  }

  private static long timeUntilFrom(long from, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (condition.getAsBoolean()) {
          return (System.nanoTime() - from) / 1_000_000;
        }
      } catch (RuntimeException e) {
        // the database or a process is in the middle of a fault: look again
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return -1;
      }
    }
    return -1;
  }

  private static void waitFor(Duration timeout, BooleanSupplier condition)
      throws InterruptedException {
    if (timeUntil(timeout, condition) < 0) {
      throw new IllegalStateException("condition not met within " + timeout);
    }
  }

  private String elapsed() {
    return String.format("%6.1f s", (System.nanoTime() - t0) / 1e9);
  }

  private void log(String what) {
    String line = elapsed() + "  " + what;
    timeline.add(line);
    System.out.println(line);
  }

  private void fail(String check, String example) {
    failures.add(check);
    note(check, example);
  }

  private synchronized void note(String what, String example) {
    failureExamples.computeIfAbsent(what, k -> new ArrayList<>()).add(example);
  }

  private static String examples(List<String> all) {
    return all.size() <= 5
        ? all.toString()
        : all.subList(0, 5) + " and " + (all.size() - 5) + " more";
  }

  private static String seconds(long millis) {
    return millis < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
  }

  private static String top(Map<String, Long> m, int n) {
    return m.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(n)
        .map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining(", ", "{", "}"));
  }

  private static int count(String text, String what) {
    int n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }

  private static void deleteTree(Path dir) {
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp dir left behind
    }
  }

  // ------------------------------------------------------------------ the front

  /**
   * The Kubernetes Service in front of the processes: forwards each request to a ready process
   * (round robin over those whose readiness answered 200 within the last check), and tries the next
   * one when the connection fails or the process answers 503 (draining), up to 6 attempts.
   */
  static final class Front {
    private final int port;
    private final List<SoakBench.Node> nodes;
    private final Set<SoakBench.Node> ready = ConcurrentHashMap.newKeySet();
    private final AtomicInteger next = new AtomicInteger();
    final AtomicLong requests = new AtomicLong();
    final AtomicLong retried = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    private HttpServer server;
    private ScheduledExecutorService checker;

    Front(int port, List<SoakBench.Node> nodes) {
      this.port = port;
      this.nodes = nodes;
    }

    String baseUrl() {
      return "http://127.0.0.1:" + port;
    }

    void start() throws IOException {
      checker = Executors.newSingleThreadScheduledExecutor();
      checker.scheduleWithFixedDelay(this::check, 0, 500, TimeUnit.MILLISECONDS);
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 256);
      server.setExecutor(Executors.newFixedThreadPool(48));
      server.createContext("/", this::handle);
      server.start();
    }

    void stop() {
      if (server != null) {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
        checker.shutdownNow();
      }
    }

    private void check() {
      for (SoakBench.Node n : nodes) {
        boolean ok;
        try {
          ok = n.process.isAlive() && n.process.get("/observe/health/ready").statusCode() == 200;
        } catch (Exception e) {
          ok = false;
        }
        if (ok) {
          ready.add(n);
        } else {
          ready.remove(n);
        }
      }
    }

    private void handle(HttpExchange ex) throws IOException {
      requests.incrementAndGet();
      byte[] body = ex.getRequestBody().readAllBytes();
      String pathAndQuery = ex.getRequestURI().getRawPath();
      if (ex.getRequestURI().getRawQuery() != null) {
        pathAndQuery += "?" + ex.getRequestURI().getRawQuery();
      }
      HttpResponse<byte[]> last = null;
      for (int attempt = 0; attempt < 6; attempt++) {
        List<SoakBench.Node> up = new ArrayList<>(ready);
        if (up.isEmpty()) {
          pause(500);
          continue;
        }
        SoakBench.Node n = up.get(Math.floorMod(next.getAndIncrement(), up.size()));
        HttpRequest.Builder b =
            HttpRequest.newBuilder(URI.create(n.process.baseUrl() + pathAndQuery))
                .timeout(Duration.ofSeconds(30))
                .method(ex.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
        ex.getRequestHeaders()
            .forEach(
                (k, vs) -> {
                  String lk = k.toLowerCase(Locale.ROOT);
                  if (!Set.of("host", "content-length", "connection", "expect", "upgrade")
                      .contains(lk)) {
                    vs.forEach(v -> b.header(k, v));
                  }
                });
        try {
          last = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
          if (last.statusCode() != 503) {
            break;
          }
        } catch (IOException e) {
          last = null;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
        ready.remove(n);
        retried.incrementAndGet();
      }
      if (last == null) {
        failed.incrementAndGet();
        ex.sendResponseHeaders(502, -1);
        ex.close();
        return;
      }
      last.headers()
          .firstValue("Content-Type")
          .ifPresent(v -> ex.getResponseHeaders().set("Content-Type", v));
      byte[] out = last.body();
      ex.sendResponseHeaders(last.statusCode(), out.length == 0 ? -1 : out.length);
      try (OutputStream os = ex.getResponseBody()) {
        os.write(out);
      }
    }

    private static void pause(long millis) {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
