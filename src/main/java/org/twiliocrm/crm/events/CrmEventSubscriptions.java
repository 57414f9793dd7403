package org.twiliocrm.crm.events;

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
import org.apache.camel.cluster.CamelClusterView;
import org.apache.camel.component.file.cluster.FileLockClusterService;
import org.apache.camel.component.salesforce.SalesforceComponent;
import org.apache.camel.component.salesforce.internal.streaming.SubscriptionHelper;
import org.apache.camel.support.LifecycleStrategySupport;
import org.apache.camel.support.service.ServiceHelper;
import org.cometd.bayeux.Channel;
import org.cometd.bayeux.Message;
import org.cometd.bayeux.client.ClientSessionChannel;
import org.cometd.client.BayeuxClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts and stops the two subscription routes (they are {@code autoStartup: false} in YAML): only
 * the leader subscribes. With {@code crm.events.leader.mode=file} a {@link FileLockClusterService}
 * elects one leader among the processes sharing {@code crm.events.leader.root}; with {@code none}
 * this process always subscribes. Before each route starts, the channel's replay id is read from
 * the database and pinned (see {@link ReplayPins}), so a new leader resumes right after the last
 * COMMITTED event of the old one; the idempotent outbox insert absorbs the overlap.
 *
 * <p>A Kubernetes deployment swaps the cluster service for camel-kubernetes'
 * KubernetesClusterService (Lease objects); see docs/crm-events.md.
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
  private volatile CamelContext context;
  private volatile FileLockClusterService cluster;
  private volatile BayeuxClient watchedClient;
  private volatile boolean leader;

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

  /** Whether this process currently holds the subscriptions. */
  public boolean isLeader() {
    return leader;
  }

  @Override
  public void onContextStarting(CamelContext ctx) {
    contextRef.set(ctx);
  }

  @Override
  public void onContextStarted(CamelContext ctx) {
    this.context = ctx;
    if (!settings.enabled()) {
      LOG.info("CRM events disabled (crm.events.enabled=false)");
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
    FileLockClusterService service = new FileLockClusterService();
    service.setId(NAMESPACE + "-" + ProcessHandle.current().pid());
    service.setRoot(settings.leaderRoot());
    long interval = settings.leaderInterval().toMillis();
    service.setAcquireLockDelay(Math.max(100, interval / 2), TimeUnit.MILLISECONDS);
    service.setAcquireLockInterval(interval, TimeUnit.MILLISECONDS);
    service.setHeartbeatTimeoutMultiplier(settings.leaderHeartbeatMultiplier());
    try {
      ctx.addService(service, true, true);
      CamelClusterView view = service.getView(NAMESPACE);
      view.addEventListener(
          (CamelClusterEventListener.Leadership)
              (v, member) -> {
                boolean local = v.getLocalMember().isLeader();
                worker.execute(local ? this::becomeLeader : this::stepDown);
              });
      cluster = service;
      LOG.info(
          "CRM events: waiting for leadership of '{}' (file lock under {})",
          NAMESPACE,
          settings.leaderRoot());
    } catch (Exception e) {
      throw new IllegalStateException("crm.events.leader.root: cluster service failed", e);
    }
  }

  @Override
  public void onContextStopping(CamelContext ctx) {
    worker.shutdownNow();
  }

  private List<String> managedRoutes() {
    List<String> ids = new ArrayList<>();
    if (context.getRoute(PLATFORM_ROUTE) != null) {
      ids.add(PLATFORM_ROUTE);
    }
    if (changeRouteWanted && context.getRoute(CHANGE_ROUTE) != null) {
      ids.add(CHANGE_ROUTE);
    }
    return ids;
  }

  private synchronized void becomeLeader() {
    if (leader) {
      return;
    }
    leader = true;
    LOG.info("CRM events: this process holds the Salesforce subscriptions");
    try {
      watchSubscribeReplies();
      for (String routeId : managedRoutes()) {
        String channel =
            routeId.equals(PLATFORM_ROUTE)
                ? settings.platformEventTopic()
                : settings.changeEventTopic();
        Optional<Long> stored = store.replayId(channel);
        long from = stored.orElse(settings.initialReplayId());
        ReplayPins.pin(channel, from);
        stored.ifPresent(id -> pinned.put(channel, id));
        LOG.info(
            "CRM events: {} resumes from replay id {} ({})",
            channel,
            from,
            stored.isPresent() ? "stored" : "crm.events.initial-replay-id");
        context.getRouteController().startRoute(routeId);
      }
    } catch (Exception e) {
      LOG.error("CRM events: starting the subscriptions failed: {}", e.toString(), e);
      leader = false;
    }
  }

  private synchronized void stepDown() {
    if (!leader) {
      return;
    }
    leader = false;
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
   * Starts camel-salesforce's streaming client (login + handshake) ahead of the routes and listens
   * for subscribe failures, so a replay id past retention is logged, counted and recorded.
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
