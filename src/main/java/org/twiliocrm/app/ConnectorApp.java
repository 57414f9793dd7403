package org.twiliocrm.app;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.ConfigSource;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.config.Mode;
import org.twiliocrm.db.Database;

/**
 * Wires the connector: validated configuration, database, sandboxes in sandbox mode, then Camel
 * Main with the YAML routes and kamelets. Plain camel-main, not KameletMain: KameletMain resolves
 * camel-dependencies from a Maven repository at start-up, which a container image does not have.
 */
public final class ConnectorApp {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectorApp.class);

  private final ConfigSource source;
  private final ConnectorConfig config;
  private final List<AutoCloseable> resources = new ArrayList<>();

  /** The configuration as the routes see it: the source plus what sandbox/live mode derives. */
  private final Map<String, String> effective = new LinkedHashMap<>();

  private final RuntimeChecks runtimeChecks = new RuntimeChecks(this::property);

  /** Who may use the operator endpoints (/api, metrics); read with the configuration. */
  private final org.twiliocrm.operator.OperatorAuth operators;

  private Main main;
  private Database database;
  private Sandboxes sandboxes;
  private volatile LiveCredentialsHealthCheck twilioCheck;
  private volatile org.twiliocrm.webhook.WebhookEdge webhookEdge;
  private volatile boolean draining;
  // Set once started() has run (the banner, the live checks, the console's event stream): until
  // then readiness stays DOWN and no load balancer sends traffic. The webhook edge does not wait
  // for it: it is on the router before the first route starts (installWebhookEdge).
  private volatile boolean startedSteps;
  private volatile TreeReloader reloader;

  public ConnectorApp(ConfigSource source) {
    this.source = source;
    this.config = ConnectorConfig.from(source);
    this.operators =
        org.twiliocrm.operator.OperatorAuth.from(
            org.twiliocrm.operator.OperatorSettings.from(source::get), config.mode());
  }

  public ConnectorConfig config() {
    return config;
  }

  /** Who may use the operator endpoints; its banner lines carry sandbox mode's generated token. */
  public org.twiliocrm.operator.OperatorAuth operators() {
    return operators;
  }

  /** Beans an embedder binds over the connector's own, in the order given (see {@link #bind}). */
  private final List<Map.Entry<String, Object>> embedderBeans = new ArrayList<>();

  /**
   * Binds {@code bean} as {@code name} over the connector's own bean of that name, before Camel
   * starts: for an application that embeds the connector, or a benchmark that times requests with
   * an instrumented {@code twilioRestClient}. The routes, kamelets and every other bean stay as
   * shipped. Call before {@link #start}.
   */
  public ConnectorApp bind(String name, Object bean) {
    embedderBeans.add(Map.entry(name, bean));
    return this;
  }

  /** Starts everything and blocks until the JVM is asked to stop. */
  public void runUntilStopped() throws Exception {
    untilStopped = true;
    prepare();
    main.run();
  }

  /** Starts everything without blocking (tests and embedding). */
  public void start() throws Exception {
    prepare();
    main.start();
    // Main.start() does not call the listeners' afterStart (only run() does): tests and embedders
    // get the same finishing steps as the jar.
    started(main.getCamelContext());
  }

  private final List<String> sandboxLines = new ArrayList<>();
  // Set by runUntilStopped: Camel Main's own SIGTERM hook stops this connector and closes its
  // resources, the database last.
  private volatile boolean untilStopped;
  private final java.util.concurrent.atomic.AtomicBoolean finished =
      new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * Puts the webhook edge on the HTTP server's router, once the server has made it. Called as the
   * routes start (the server, a context service, runs by then), so no webhook route takes a request
   * before the edge does, and again once Camel has started.
   */
  private void installWebhookEdge(CamelContext ctx) {
    org.twiliocrm.webhook.WebhookEdge edge =
        ctx.getRegistry()
            .lookupByNameAndType("twilioWebhookEdge", org.twiliocrm.webhook.WebhookEdge.class);
    if (edge != null && edge.install(ctx)) {
      webhookEdge = edge;
    }
  }

  /** What happens once Camel has started, whichever way it was started; runs once. */
  private void started(CamelContext ctx) {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    long sinceJvmStart =
        System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
    // Refusals the HTTP server makes before any route (body limit, undecodable form, unhandled
    // failure): counted and logged in one line instead of a stack trace.
    // Normally on the router already (installWebhookEdge, as the routes started); this is for a
    // server that made its router later.
    installWebhookEdge(ctx);
    // The console's live updates stream (GET /api/events) sits behind the same operator gate.
    org.twiliocrm.operator.LiveEvents live =
        ctx.getRegistry()
            .lookupByNameAndType(
                org.twiliocrm.operator.OperatorApi.LIVE_EVENTS,
                org.twiliocrm.operator.LiveEvents.class);
    if (live != null && operators != null && operators.gate() != null) {
      live.install(ctx, operators.gate());
      // Ends the open streams and the poll timer when the connector stops.
      resources.add(live);
    }
    if (managementPort() > 0) {
      startManagementServer(ctx, managementPort());
    }
    if (twilioCheck != null) {
      io.micrometer.core.instrument.MeterRegistry found =
          ctx.getRegistry().findSingleByType(io.micrometer.core.instrument.MeterRegistry.class);
      io.micrometer.core.instrument.Gauge.builder(
              "twiliocrm.dependency.up", twilioCheck, LiveCredentialsHealthCheck::up)
          .tag("dependency", "twilio")
          .description("1 while Twilio accepts the credentials, 0 otherwise")
          .register(found != null ? found : io.micrometer.core.instrument.Metrics.globalRegistry);
    }
    io.micrometer.core.instrument.MeterRegistry meters =
        ctx.getRegistry().findSingleByType(io.micrometer.core.instrument.MeterRegistry.class);
    if (meters != null) {
      new ConnectorMetrics(
              database.dataSource(), ObservabilitySettings.METRICS_REFRESH.read(this::property))
          .bind(ctx, meters, this::property);
    }
    // The policy gauges join the registry /observe/metrics exposes, which exists by now.
    org.twiliocrm.governance.Policies policies =
        ctx.getRegistry()
            .lookupByNameAndType("governancePolicies", org.twiliocrm.governance.Policies.class);
    if (policies != null) {
      policies.bindMetrics(ctx);
    }
    List<String> operatorLines = operators.bannerLines(config.http().publicUrl());
    LOG.info(
        Banner.render(
            config,
            database.displayUrl(),
            sandboxLines,
            operatorLines,
            managementPort(),
            sinceJvmStart));
    // The Twilio sandbox's request validation: loaded now rather than during start-up; a request
    // that comes first waits for it.
    sandboxes().map(Sandboxes::twilio).ifPresent(t -> t.loadValidation());
    if (runtimeChecks.enabled()) {
      resources.add(runtimeChecks);
      runtimeChecks.start(ctx);
    }
    startReloader(ctx);
    if (untilStopped) {
      // On the embedded H2 default, H2's exit hook would close the database during the SIGTERM
      // drain: it now waits for the database's close (closeResources, after the routes stopped),
      // at most the drain and Camel's route shutdown (each connector.drain-timeout) and a margin.
      database.closeLastAtExit(
          ConnectorConfig.DRAIN_TIMEOUT.read(this::property).multipliedBy(2).plusSeconds(10));
    }
    startedSteps = true;
  }

  private int managementPort() {
    return ObservabilitySettings.MANAGEMENT_PORT.read(this::property);
  }

  /**
   * connector.management.port: a second Vert.x server on the platform-http server's own router (so
   * the same gate, body limit and routes), which the gate restricts to / and /observe/*. Camel's
   * own camel.management.port cannot do this in 4.17 ("No PlatformHttpEngine").
   */
  private void startManagementServer(CamelContext ctx, int managementPort) {
    org.apache.camel.component.platform.http.main.MainHttpServer server =
        ctx.hasService(org.apache.camel.component.platform.http.main.MainHttpServer.class);
    if (server == null) {
      throw new IllegalStateException("connector.management.port: no platform-http server");
    }
    org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter router =
        server.getRouter();
    io.vertx.core.http.HttpServer http =
        router
            .vertx()
            .createHttpServer(
                new io.vertx.core.http.HttpServerOptions()
                    .setHost(config.http().host())
                    .setPort(managementPort))
            .requestHandler(router);
    try {
      http.listen()
          .toCompletionStage()
          .toCompletableFuture()
          .get(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(
          "connector.management.port " + managementPort + ": cannot listen: " + e.getMessage(), e);
    }
    resources.add(
        () ->
            http.close()
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, java.util.concurrent.TimeUnit.SECONDS));
    LOG.info("Management port {}: / and /observe/* (health, metrics)", managementPort);
  }

  public void stop() {
    if (main != null) {
      main.stop();
    }
    closeResources();
  }

  public CamelContext camelContext() {
    return main.getCamelContext();
  }

  /** A configuration value as the running connector sees it, or null when unset. */
  public String property(String key) {
    String v = effective.get(key);
    return v == null || v.isBlank() ? null : v;
  }

  /**
   * The in-process emulators in sandbox mode, empty in live mode. Package-private: the public API
   * hands out no sandbox types; tests reach them through their own accessor in this package, and
   * everyone else through the base URLs in {@link #property}.
   */
  java.util.Optional<Sandboxes> sandboxes() {
    return java.util.Optional.ofNullable(sandboxes);
  }

  private void prepare() {
    LOG.info("Starting in {} mode", config.mode());
    // The emulators (the Twilio one reads Twilio's 2 MB OpenAPI description) start while the
    // database migrates: the two are independent and each takes a second or two.
    java.util.concurrent.CompletableFuture<Sandboxes> starting =
        config.mode() == Mode.SANDBOX
            ? java.util.concurrent.CompletableFuture.supplyAsync(
                () -> Sandboxes.start(source::get, config))
            : null;
    try {
      database = Database.open(config.db());
    } catch (RuntimeException e) {
      if (starting != null) {
        starting.thenAccept(Sandboxes::close);
      }
      throw e;
    }
    resources.add(database);
    if (database.uncleanH2Stop()) {
      // H2 may have left the batch of webhook events being applied when the last process died
      // marked DONE without its changes: those are applied again (before any route starts).
      try {
        org.twiliocrm.webhook.UncleanStopRecheck.run(
            database.dataSource(), org.twiliocrm.webhook.Keywords.from(source::get));
      } catch (java.sql.SQLException e) {
        throw new IllegalStateException(
            "database "
                + database.displayUrl()
                + ": could not check the webhook events applied before the last process died: "
                + e.getMessage(),
            e);
      }
    }
    sandboxLines.clear();
    effective.putAll(source.asMap());
    if (config.mode() == Mode.SANDBOX) {
      try {
        sandboxes = starting.join();
      } catch (java.util.concurrent.CompletionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : e;
      }
      resources.add(sandboxes);
      effective.putAll(sandboxes.derivedProperties());
      sandboxLines.addAll(sandboxes.bannerLines());
    } else {
      effective.putAll(LiveClients.salesforceComponentProperties(config.salesforce()));
    }
    // Statuses of what the outbox sends come back to this connector's own webhook, with Twilio's
    // connection overrides as the URL fragment (webhook.connection-overrides): by default Twilio
    // retries only a failed connection, so without them a 503 (commit not durable in time) would
    // never be retried.
    // (In sandbox mode the sandbox derived twilio.account-sid above, the secondary token's owner.)
    org.twiliocrm.webhook.WebhookSettings hooks =
        org.twiliocrm.webhook.WebhookSettings.from(this::property);
    // With twilio.region set the URLs carry ?region=ie1: the webhook check then knows which
    // region's auth token signed them.
    org.twiliocrm.twilio.TwilioRegion region =
        org.twiliocrm.twilio.TwilioClientSettings.region(this::property);
    if (property("outbox.status-callback-url") == null) {
      effective.put(
          "outbox.status-callback-url",
          hooks.withOverrides(
              region.callbackUrl(config.http().publicUrl() + "/webhooks/twilio/message-status")));
    }
    if (property("outbox.call-status-callback-url") == null) {
      effective.put(
          "outbox.call-status-callback-url",
          hooks.withOverrides(
              region.callbackUrl(config.http().publicUrl() + "/webhooks/twilio/call-status")));
    }

    DslLocations dsl = DslLocations.resolve(config.dsl());
    LOG.info("Routes from {}, kamelets from {}", dsl.routesDescription(), dsl.kameletLocation());

    main = new Main();
    main.setOverrideProperties(camelProperties(dsl));
    Beans.bind(main::bind, this::property, config, database);
    if (ObservabilitySettings.LOG_MDC.read(this::property)) {
      // Camel Main installs a UnitOfWorkFactory bean: correlation ids in every step's MDC.
      main.bind("connectorMdcUnitOfWork", new MdcUnitOfWork.Factory());
    }
    // The console's sign-in checks passwords and opens sessions the gate then accepts.
    main.bind("operatorAuth", operators);
    embedderBeans.forEach(b -> main.bind(b.getKey(), b.getValue()));
    main.addMainListener(
        new MainListenerSupport() {
          @Override
          public void afterConfigure(BaseMainSupport support) {
            CamelContext ctx = support.getCamelContext();
            // Before the context starts, so the HTTP port never opens without the gate.
            operators.managementPort(managementPort());
            operators.install(ctx);
            HealthCheckHelper.getHealthCheckRegistry(ctx)
                .register(new DatabaseHealthCheck(database));
            org.twiliocrm.governance.Policies policies =
                ctx.getRegistry()
                    .lookupByNameAndType(
                        "governancePolicies", org.twiliocrm.governance.Policies.class);
            if (policies != null) {
              HealthCheckHelper.getHealthCheckRegistry(ctx)
                  .register(new PolicyHealthCheck(policies));
            }
            // SIGTERM: readiness DOWN and webhooks 503 first (onContextStopping runs before any
            // route stops), then claims stop and the sends in flight finish and are recorded
            // while every route still runs (bounded by connector.drain-timeout), and only then
            // Camel stops the routes (see OutboxRuntime).
            ctx.addLifecycleStrategy(
                new org.apache.camel.support.LifecycleStrategySupport() {
                  @Override
                  public void onContextStopping(CamelContext stopping) {
                    LOG.info(
                        "Stopping: readiness DOWN, webhooks answer 503 while in-flight work"
                            + " drains");
                    draining = true;
                    // The Salesforce re-check builds a short-lived CamelContext of its own; one
                    // that started after SIGTERM ended Camel Main's shutdown hook early, and the
                    // JVM exited mid-drain (GracefulDrainIT in CI). No re-checks once stopping.
                    runtimeChecks.close();
                    if (webhookEdge != null) {
                      webhookEdge.drain();
                    }
                    drainOutbox(stopping);
                  }
                });
            HealthCheckHelper.getHealthCheckRegistry(ctx)
                .register(
                    new org.apache.camel.impl.health.AbstractHealthCheck("connector", "draining") {
                      @Override
                      public boolean isLiveness() {
                        return false;
                      }

                      @Override
                      protected void doCall(
                          org.apache.camel.health.HealthCheckResultBuilder builder,
                          Map<String, Object> options) {
                        if (draining) {
                          builder.message("shutting down").down();
                        } else if (!startedSteps) {
                          builder.message("starting").down();
                        } else {
                          builder.up();
                        }
                      }
                    });
            // The webhook edge's refusals (body limit, undecodable form, failures before any
            // route) and its form reading must be on the router before the first webhook route
            // consumer joins it: the routes start after the context's services, the HTTP server
            // among them, so "routes starting" is the moment.
            ctx.getManagementStrategy()
                .addEventNotifier(
                    new org.apache.camel.support.EventNotifierSupport() {
                      @Override
                      public boolean isEnabled(org.apache.camel.spi.CamelEvent event) {
                        return event
                            instanceof
                            org.apache.camel.spi.CamelEvent.CamelContextRoutesStartingEvent;
                      }

                      @Override
                      public void notify(org.apache.camel.spi.CamelEvent event) {
                        installWebhookEdge(ctx);
                      }
                    });
            if (runtimeChecks.enabled()) {
              runtimeChecks.register(ctx);
            }
            if (config.mode() == Mode.LIVE) {
              LiveCredentialsHealthCheck credentials =
                  new LiveCredentialsHealthCheck(ConnectorApp.this::property, config);
              resources.add(credentials);
              HealthCheckHelper.getHealthCheckRegistry(ctx).register(credentials);
              twilioCheck = credentials;
            }
          }

          @Override
          public void afterStart(BaseMainSupport support) {
            started(support.getCamelContext());
          }

          @Override
          public void afterStop(BaseMainSupport support) {
            closeResources();
          }
        });
  }

  /**
   * Waits (up to connector.drain-timeout) for the outbox rows this instance claimed to be sent and
   * recorded. Runs in onContextStopping, so the send route, the result writer and the Twilio client
   * are all still up; what is left at the timeout is released to reconciliation after the stop.
   */
  private void drainOutbox(CamelContext ctx) {
    java.time.Duration timeout = ConnectorConfig.DRAIN_TIMEOUT.read(this::property);
    long t0 = System.nanoTime();
    boolean drained = true;
    try {
      for (org.twiliocrm.outbound.OutboxRuntime outbox :
          ctx.getRegistry().findByType(org.twiliocrm.outbound.OutboxRuntime.class)) {
        java.time.Duration left = timeout.minusNanos(System.nanoTime() - t0);
        drained &= outbox.drain(left.isNegative() ? java.time.Duration.ZERO : left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      drained = false;
    }
    LOG.info(
        "Stopping: outbox {} in {} ms; stopping the routes",
        drained ? "drained" : "not drained",
        (System.nanoTime() - t0) / 1_000_000);
  }

  /**
   * Dev mode (or connector.reload.enabled): watch the editable tree and apply edits live. Routes,
   * kamelets and the CRM send rules reload; templates/ and governance/ belong to their own loaders.
   */
  private synchronized void startReloader(CamelContext ctx) {
    if (reloader != null) {
      return;
    }
    boolean dev = ConnectorConfig.DEV.read(this::property);
    if (!dev && !ConnectorConfig.RELOAD_ENABLED.read(this::property)) {
      return;
    }
    TreeReloader r = new TreeReloader();
    List<String> watched = new ArrayList<>();
    for (java.nio.file.Path dir : DslLocations.routeDirectories(config.dsl())) {
      if (java.nio.file.Files.isDirectory(dir)) {
        r.watchDirectory(dir, ".yaml", TreeReloader.routes(ctx));
        watched.add(dir + "/");
      }
    }
    // Kamelets: an edit rebuilds the template and every route that uses it (KameletReload).
    java.nio.file.Path kamelets =
        java.nio.file.Path.of(config.dsl().kameletsLocation()).toAbsolutePath().normalize();
    if (java.nio.file.Files.isDirectory(kamelets)) {
      r.watchDirectory(kamelets, KameletReload.SUFFIX, new KameletReload(ctx));
      watched.add(kamelets + "/");
    }
    org.twiliocrm.crm.events.CrmEventsSettings crm =
        org.twiliocrm.crm.events.CrmEventsSettings.from(this::property);
    org.twiliocrm.crm.events.SendRules rules =
        ctx.getRegistry()
            .lookupByNameAndType("crmSendRules", org.twiliocrm.crm.events.SendRules.class);
    if (rules != null && !crm.rulesLocation().startsWith("classpath:")) {
      java.nio.file.Path file =
          java.nio.file.Path.of(crm.rulesLocation().replaceFirst("^file:", ""));
      r.watchFile(file, TreeReloader.rules(rules, crm.defaultChannel()));
      watched.add(file.toAbsolutePath().normalize().toString());
    }
    // Templates and the policy have their own loaders, which re-read on an interval; in dev mode an
    // edit makes them reload at once (the loaders keep the last good version on a broken edit).
    org.twiliocrm.governance.templates.TemplateRuntime templates =
        ctx.getRegistry()
            .lookupByNameAndType(
                "templateRuntime", org.twiliocrm.governance.templates.TemplateRuntime.class);
    String templatesLocation = property("outbox.templates.location");
    if (templates != null
        && templatesLocation != null
        && !templatesLocation.startsWith("classpath:")) {
      java.nio.file.Path t =
          java.nio.file.Path.of(templatesLocation.replaceFirst("^file:", ""))
              .toAbsolutePath()
              .normalize();
      TreeReloader.Handler h =
          TreeReloader.reloadNow(templates::tick, () -> templates.error().orElse(null));
      if (java.nio.file.Files.isDirectory(t)) {
        r.watchDirectory(t, ".yaml", h);
        watched.add(t + "/");
      } else if (java.nio.file.Files.isRegularFile(t)) {
        r.watchFile(t, h);
        watched.add(t.toString());
      }
    }
    org.twiliocrm.governance.GovernanceRuntime governance =
        ctx.getRegistry()
            .lookupByNameAndType(
                "governanceRuntime", org.twiliocrm.governance.GovernanceRuntime.class);
    org.twiliocrm.governance.Policies policies =
        ctx.getRegistry()
            .lookupByNameAndType("governancePolicies", org.twiliocrm.governance.Policies.class);
    String policy =
        org.twiliocrm.governance.GovernanceSettings.from(this::property).resolvedLocation();
    if (governance != null && policies != null && !policy.startsWith("classpath:")) {
      java.nio.file.Path file =
          java.nio.file.Path.of(policy.replaceFirst("^file:", "")).toAbsolutePath().normalize();
      if (java.nio.file.Files.isRegularFile(file)) {
        r.watchFile(file, TreeReloader.reloadNow(governance::tick, policies::error));
        watched.add(file.toString());
      }
    }
    r.start();
    reloader = r;
    resources.add(r);
    LOG.info(
        "{}: watching {} for edits (applied within {} ms; a broken edit keeps the last good"
            + " version)",
        dev ? "Dev mode" : "Reload enabled",
        String.join(", ", watched),
        TreeReloader.POLL_MILLIS);
  }

  /** The live reloader, null unless dev mode or connector.reload.enabled. */
  TreeReloader reloader() {
    return reloader;
  }

  /** All configuration goes to Camel as override properties: YAML routes read it as {{key}}. */
  Properties camelProperties(DslLocations dsl) {
    Properties p = new Properties();
    effective.forEach(p::setProperty);
    String port = String.valueOf(config.http().port());
    p.setProperty("camel.main.name", "twilio-crm-connector");
    p.setProperty("camel.main.routesIncludePattern", dsl.routesPattern());
    // crm.events.enabled=false: the subscription routes are not even loaded. Loaded but not
    // started, their consumers still make camel-salesforce open a CometD session (handshake and
    // /meta/connect polls) when the component starts.
    // Likewise governance.salesforce.enabled=false (its decisions route subscribes).
    String excluded =
        java.util.stream.Stream.of(
                org.twiliocrm.crm.events.CrmEventsBeans.routesExcludePattern(
                    org.twiliocrm.crm.events.CrmEventsSettings.from(this::property)),
                org.twiliocrm.crm.approvals.SalesforceApprovalSettings.from(this::property)
                    .routesExcludePattern())
            .flatMap(java.util.Optional::stream)
            .collect(java.util.stream.Collectors.joining(","));
    if (!excluded.isEmpty()) {
      p.setProperty("camel.main.routesExcludePattern", excluded);
    }
    p.setProperty("camel.main.sourceLocationEnabled", "true");
    if (ObservabilitySettings.LOG_MDC.read(this::property)) {
      p.setProperty("camel.main.useMdcLogging", "true");
    }
    // The outbox drains first (connector.drain-timeout, in onContextStopping); Camel's own route
    // shutdown then gets the same bound instead of its 45 s default, so drain + shutdown + the
    // preStop pause stay inside the pod's grace period.
    p.setProperty(
        "camel.main.shutdownTimeout",
        String.valueOf(
            Math.max(
                1, (ConnectorConfig.DRAIN_TIMEOUT.read(this::property).toMillis() + 999) / 1000)));
    p.setProperty("camel.component.kamelet.location", dsl.kameletLocation());
    // One HTTP server for webhooks, health and metrics: management on a separate port fails with
    // platform-http-vertx 4.17 ("No PlatformHttpEngine"), so health and metrics share the port.
    p.setProperty("camel.server.enabled", "true");
    p.setProperty("camel.server.host", config.http().host());
    p.setProperty("camel.server.port", port);
    // The body limit is enforced by Vert.x's BodyHandler from Content-Length before anything is
    // buffered (413).
    p.setProperty(
        "camel.server.maxBodySize",
        String.valueOf(org.twiliocrm.webhook.WebhookSettings.MAX_BODY_BYTES.read(this::property)));
    // Uploads "enabled", into the temp dir: camel-platform-http-vertx 4.17 never turns Vert.x's
    // file uploads off (with fileUploadEnabled=false it just leaves Vert.x's default on), and
    // Vert.x then creates ./file-uploads on every form POST, which fails with a
    // FileSystemException (500 on every webhook) on a read-only root file system. java.io.tmpdir
    // is the writable emptyDir /tmp in the image; Twilio never sends multipart bodies, and
    // maxBodySize bounds any that arrive.
    p.setProperty("camel.server.fileUploadEnabled", "true");
    p.setProperty(
        "camel.server.fileUploadDirectory",
        java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "twilio-crm-uploads")
            .toString());
    p.setProperty("camel.management.enabled", "true");
    p.setProperty("camel.management.host", config.http().host());
    p.setProperty("camel.management.port", port);
    p.setProperty("camel.management.path", "/observe");
    p.setProperty("camel.management.healthCheckEnabled", "true");
    p.setProperty("camel.management.metricsEnabled", "true");
    p.setProperty("camel.management.infoEnabled", "false");
    p.setProperty("camel.metrics.enabled", "true");
    // Per-exchange timers per endpoint cost more CPU than a webhook route itself (tag sorting on
    // every exchange, in a profile of the webhook benchmark); the route policy still times every
    // route, and the webhook and outbox meters count what matters.
    p.setProperty("camel.metrics.enableExchangeEventNotifier", "false");
    // Route-level timers only: the context-level copy doubled the route policy's work per exchange.
    p.setProperty("camel.metrics.routePolicyLevel", "route");
    p.setProperty("camel.health.enabled", "true");
    // Status only for anonymous callers (probes, anyone who reaches the port); operators get every
    // check with its state (OperatorGate asks for exposureLevel=full on their behalf), so they see
    // which dependency holds readiness DOWN.
    p.setProperty("camel.health.exposureLevel", "oneline");
    p.setProperty("connector.mode.resolved", config.mode().name().toLowerCase());
    return p;
  }

  private synchronized void closeResources() {
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        LOG.warn(
            "Closing {} failed: {}", resources.get(i).getClass().getSimpleName(), e.toString());
      }
    }
    resources.clear();
  }
}
