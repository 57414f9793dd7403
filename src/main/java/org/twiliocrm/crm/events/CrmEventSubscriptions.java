package org.twiliocrm.crm.events;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.apache.camel.cluster.CamelClusterEventListener;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.cluster.CamelClusterView;
import org.apache.camel.component.file.cluster.FileLockClusterService;
import org.apache.camel.component.kubernetes.KubernetesConfiguration;
import org.apache.camel.component.kubernetes.cluster.KubernetesClusterService;
import org.apache.camel.component.kubernetes.cluster.LeaseResourceType;
import org.apache.camel.component.salesforce.SalesforceComponent;
import org.apache.camel.component.salesforce.SalesforceEndpoint;
import org.apache.camel.component.salesforce.internal.streaming.SubscriptionHelper;
import org.apache.camel.support.LifecycleStrategySupport;
import org.apache.camel.support.service.ServiceHelper;
import org.apache.camel.support.service.ServiceSupport;
import org.cometd.bayeux.Channel;
import org.cometd.bayeux.Message;
import org.cometd.bayeux.client.ClientSessionChannel;
import org.cometd.client.BayeuxClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts and stops the subscription routes that declare {@code routePolicy: crmEventsLeader} in
 * YAML ({@link LeaderOnlyRoutePolicy}): only the leader subscribes. With {@code
 * crm.events.leader.mode=file} a {@link FileLockClusterService} elects one leader among the
 * processes sharing {@code crm.events.leader.root}; with {@code none} this process always
 * subscribes. Before each route starts, the channel's replay id is read from the database and
 * pinned (see {@link ReplayPins}), so a new leader resumes right after the last COMMITTED event of
 * the old one; the idempotent outbox insert absorbs the overlap.
 *
 * <p>With {@code kubernetes}, camel-kubernetes' KubernetesClusterService elects the leader with a
 * Lease object (RBAC on coordination.k8s.io leases; see deploy/ and docs/crm-events.md).
 */
public final class CrmEventSubscriptions extends LifecycleStrategySupport {
  private static final Logger LOG = LoggerFactory.getLogger(CrmEventSubscriptions.class);
  public static final String PLATFORM_ROUTE = "crm-events-to-outbox";
  public static final String CHANGE_ROUTE = "crm-record-changes-to-outbox";
  static final String NAMESPACE = "crm-events";
  private static final Pattern INVALID_REPLAY =
      Pattern.compile("400::The replayId \\{(-?\\d+)} you provided was invalid.*", Pattern.DOTALL);

  private final CrmEventsSettings settings;
  private final CrmEventStore store;
  private final CrmEventCommitter committer;
  private final CrmEventMetrics metrics;
  private final boolean changeRouteWanted;
  private final Map<String, Long> pinned = new ConcurrentHashMap<>();
  private final ExecutorService worker =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "crm-events-leader");
            t.setDaemon(true);
            return t;
          });
  private final AtomicReference<CamelContext> contextRef;
  private final LeaderOnlyRoutePolicy policy = new LeaderOnlyRoutePolicy();
  private volatile CamelContext context;
  private volatile CamelClusterService cluster;
  private volatile KubernetesClient kubernetesClient;
  private volatile BayeuxClient watchedClient;
  private volatile boolean leader;
  private final java.util.concurrent.atomic.AtomicLong leadershipChanges =
      new java.util.concurrent.atomic.AtomicLong();

  public CrmEventSubscriptions(
      CrmEventsSettings settings,
      CrmEventStore store,
      CrmEventCommitter committer,
      CrmEventMetrics metrics,
      boolean changeRouteWanted,
      AtomicReference<CamelContext> contextRef) {
    this.contextRef = contextRef;
    this.settings = settings;
    this.store = store;
    this.committer = committer;
    this.metrics = metrics;
    this.changeRouteWanted = changeRouteWanted;
  }

  /** The route policy the leader-only routes name in YAML (bean crmEventsLeader). */
  public LeaderOnlyRoutePolicy routePolicy() {
    return policy;
  }

  /** Whether this process currently holds the subscriptions. */
  public boolean isLeader() {
    return leader;
  }

  /** Times this process became or stopped being the leader (metric, docs/observability.md). */
  public long leadershipChanges() {
    return leadershipChanges.get();
  }

  @Override
  public void onContextStarting(CamelContext ctx) {
    contextRef.set(ctx);
    if (settings.enabled() && settings.leaderMode().equals("kubernetes")) {
      // Here, not once the context has started: Camel stops the start-up on an error now, but
      // only logs one from onContextStarted, which would leave replicas running without a leader.
      kubernetesClient = kubernetesClient();
    }
  }

  @Override
  public void onContextStarted(CamelContext ctx) {
    this.context = ctx;
    if (!settings.enabled()) {
      LOG.info("CRM events disabled (crm.events.enabled=false)");
      // No election without CRM events: the other leader-only subscriptions (the approvals taken
      // in Salesforce) run on this process, as they would on a single replica.
      if (!policy.routeIds().isEmpty()) {
        worker.execute(this::becomeLeader);
      }
      return;
    }
    try {
      // A context service is stopped after the routes: the events they queued get committed.
      ctx.addService(committer, true, true);
    } catch (Exception e) {
      throw new IllegalStateException("CRM events: the group committer did not start", e);
    }
    if (settings.leaderMode().equals("none")) {
      worker.execute(this::becomeLeader);
      return;
    }
    try {
      CamelClusterService service =
          settings.leaderMode().equals("kubernetes") ? kubernetesLease(ctx) : fileLock();
      ctx.addService(service, true, true);
      CamelClusterView view = service.getView(NAMESPACE);
      view.addEventListener(
          (CamelClusterEventListener.Leadership)
              (v, member) -> {
                boolean local = v.getLocalMember().isLeader();
                worker.execute(local ? this::becomeLeader : this::stepDown);
              });
      cluster = service;
      LOG.info("CRM events: waiting for leadership of '{}' ({})", NAMESPACE, describe());
    } catch (Exception e) {
      throw new IllegalStateException(
          "crm.events.leader.mode="
              + settings.leaderMode()
              + ": cluster service failed: "
              + e.getMessage(),
          e);
    }
  }

  private FileLockClusterService fileLock() {
    FileLockClusterService service = new FileLockClusterService();
    service.setId(NAMESPACE + "-" + ProcessHandle.current().pid());
    service.setRoot(settings.leaderRoot());
    long interval = settings.leaderInterval().toMillis();
    service.setAcquireLockDelay(Math.max(100, interval / 2), TimeUnit.MILLISECONDS);
    service.setAcquireLockInterval(interval, TimeUnit.MILLISECONDS);
    service.setHeartbeatTimeoutMultiplier(settings.leaderHeartbeatMultiplier());
    return service;
  }

  private KubernetesClient kubernetesClient() {
    CrmEventsSettings.KubernetesLease k = settings.kubernetes();
    // Our own client, built from the pod's service account (or kubeconfig) with the configured
    // overrides: camel-kubernetes 4.17 ignores a master URL set on the cluster service itself.
    ConfigBuilder config = new ConfigBuilder(Config.autoConfigure(null));
    if (k.masterUrl() != null) {
      config.withMasterUrl(k.masterUrl());
    }
    if (k.namespace() != null) {
      config.withNamespace(k.namespace());
    }
    KubernetesClient client = new KubernetesClientBuilder().withConfig(config.build()).build();
    if (client.getNamespace() == null) {
      client.close();
      throw new IllegalStateException(
          "crm.events.leader.kubernetes.namespace: not set, and this process runs outside a pod"
              + " (no service account namespace to default to)");
    }
    return client;
  }

  /**
   * One Lease ({@code <lease-name>-crm-events}) among the pods; the member name is the pod name
   * ({@code HOSTNAME}). The same two knobs as the file lock: the leader renews every interval, and
   * a follower takes over once the Lease has gone unrenewed for interval × multiplier.
   */
  private KubernetesClusterService kubernetesLease(CamelContext ctx) throws Exception {
    CrmEventsSettings.KubernetesLease k = settings.kubernetes();
    KubernetesClient client = kubernetesClient;
    // Stopped after the cluster service (services stop in reverse order of addition).
    ctx.addService(
        new ServiceSupport() {
          @Override
          protected void doStop() {
            client.close();
          }
        },
        true,
        true);
    KubernetesConfiguration kc = new KubernetesConfiguration();
    kc.setKubernetesClient(client);
    KubernetesClusterService service = new KubernetesClusterService(kc);
    service.setId(NAMESPACE + "-kubernetes");
    service.setLeaseResourceType(LeaseResourceType.Lease);
    service.setKubernetesResourceName(k.leaseName());
    service.setKubernetesResourcesNamespace(client.getNamespace());
    long interval = settings.leaderInterval().toMillis();
    long lease = interval * settings.leaderHeartbeatMultiplier();
    service.setRetryPeriodMillis(interval);
    service.setLeaseDurationMillis(lease);
    // The leader gives up before its Lease can expire, so two pods never lead at once.
    service.setRenewDeadlineMillis(Math.max(interval * 3 / 2, lease * 2 / 3));
    return service;
  }

  private String describe() {
    if (settings.leaderMode().equals("kubernetes")) {
      return "Kubernetes Lease "
          + settings.kubernetes().leaseName()
          + "-"
          + NAMESPACE
          + " in namespace "
          + kubernetesClient.getNamespace();
    }
    return "file lock under " + settings.leaderRoot();
  }

  @Override
  public void onContextStopping(CamelContext ctx) {
    worker.shutdownNow();
  }

  private List<String> managedRoutes() {
    List<String> ids = new ArrayList<>();
    for (String id : policy.routeIds()) {
      // The change-event route subscribes only when there is at least one send rule.
      if (context.getRoute(id) != null && (changeRouteWanted || !id.equals(CHANGE_ROUTE))) {
        ids.add(id);
      }
    }
    return ids;
  }

  private synchronized void becomeLeader() {
    if (leader) {
      return;
    }
    leader = true;
    leadershipChanges.incrementAndGet();
    LOG.info("CRM events: this process holds the Salesforce subscriptions");
    try {
      List<String> routes = managedRoutes();
      if (!routes.isEmpty()) {
        watchSubscribeReplies();
      }
      for (String routeId : routes) {
        String channel = channelOf(routeId);
        Optional<Long> stored = settings.enabled() ? store.replayId(channel) : Optional.empty();
        // Without a stored id, the route's own defaultReplayId, set again before every start
        // (the replay extension otherwise remembers the last event received in this JVM): the
        // CRM event routes take crm.events.initial-replay-id there, the approvals route -1.
        long from = stored.orElse(defaultReplayId(routeId));
        ReplayPins.pin(channel, from);
        stored.ifPresent(id -> pinned.put(channel, id));
        LOG.info(
            "CRM events: {} resumes from replay id {} ({})",
            channel,
            from,
            stored.isPresent() ? "stored" : "the route's defaultReplayId");
        context.getRouteController().startRoute(routeId);
      }
    } catch (Exception e) {
      LOG.error("CRM events: starting the subscriptions failed: {}", e.toString(), e);
      leader = false;
    }
  }

  /**
   * The channel a leader-only route subscribes to, as camel-salesforce's replay extension and the
   * stored resume points name it. Routes other than the two CRM event routes (e.g. the CRM consent
   * sync) name their channel in their own endpoint URI.
   */
  private String channelOf(String routeId) {
    if (routeId.equals(PLATFORM_ROUTE)) {
      return settings.platformEventTopic();
    }
    if (routeId.equals(CHANGE_ROUTE)) {
      return settings.changeEventTopic();
    }
    if (context.getRoute(routeId).getEndpoint() instanceof SalesforceEndpoint se
        && se.getTopicName() != null) {
      String t = se.getTopicName();
      return t.startsWith("/") ? t : "/" + t;
    }
    throw new IllegalStateException(
        "route "
            + routeId
            + " declares routePolicy crmEventsLeader but is no salesforce:subscribe");
  }

  private long defaultReplayId(String routeId) {
    if (context.getRoute(routeId).getEndpoint() instanceof SalesforceEndpoint se
        && se.getConfiguration().getDefaultReplayId() != null) {
      return se.getConfiguration().getDefaultReplayId();
    }
    return settings.initialReplayId();
  }

  private synchronized void stepDown() {
    if (!leader) {
      return;
    }
    leader = false;
    leadershipChanges.incrementAndGet();
    LOG.info("CRM events: leadership lost, stopping the Salesforce subscriptions");
    for (String routeId : managedRoutes()) {
      try {
        if (context.getRouteController().getRouteStatus(routeId) == ServiceStatus.Started) {
          context.getRouteController().stopRoute(routeId, 10, TimeUnit.SECONDS);
        }
      } catch (Exception e) {
        LOG.warn("CRM events: stopping {} failed: {}", routeId, e.toString());
      }
    }
    try {
      // Commit what the stopped routes queued, so the next leader does not read it again.
      committer.flush(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Starts camel-salesforce's streaming client (login + handshake) ahead of the routes (the last
   * route to stop stops it again, see {@link LeaderOnlyStreamingComponent}) and listens for
   * subscribe failures, so a replay id past retention is logged, counted and recorded.
   */
  private void watchSubscribeReplies() throws Exception {
    SalesforceComponent sf = context.getComponent("salesforce", SalesforceComponent.class);
    SubscriptionHelper helper = sf.getSubscriptionHelper();
    ServiceHelper.startService(helper);
    BayeuxClient client = ReplayPins.client(helper);
    if (client == null || client == watchedClient) {
      return;
    }
    watchedClient = client;
    client
        .getChannel(Channel.META_SUBSCRIBE)
        .addListener((ClientSessionChannel.MessageListener) (ch, m) -> onSubscribeReply(m));
  }

  private void onSubscribeReply(Message m) {
    if (m.isSuccessful()) {
      return;
    }
    Object error = m.get(Message.ERROR_FIELD);
    Matcher invalid = INVALID_REPLAY.matcher(error == null ? "" : error.toString());
    if (!invalid.matches()) {
      return;
    }
    String channel = String.valueOf(m.get(Message.SUBSCRIPTION_FIELD));
    long stored = Long.parseLong(invalid.group(1));
    metrics.replayGap(channel);
    LOG.error(
        "CRM events: replay GAP on {}: stored replay id {} is older than Salesforce's retention;"
            + " resuming from {} (crm.events.fallback-replay-id). Events published between may"
            + " not be sent.",
        channel,
        stored,
        settings.fallbackReplayId());
    try {
      store.recordGap(channel, stored, settings.fallbackReplayId(), error.toString());
    } catch (Exception e) {
      LOG.warn("CRM events: recording the replay gap failed: {}", e.toString());
    }
  }
}
