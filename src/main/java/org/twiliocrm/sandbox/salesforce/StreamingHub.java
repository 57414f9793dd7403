package org.twiliocrm.sandbox.salesforce;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.cometd.bayeux.Channel;
import org.cometd.bayeux.Promise;
import org.cometd.bayeux.server.BayeuxServer;
import org.cometd.bayeux.server.ServerChannel;
import org.cometd.bayeux.server.ServerMessage;
import org.cometd.bayeux.server.ServerSession;
import org.cometd.server.BayeuxServerImpl;
import org.cometd.server.DefaultSecurityPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streaming API on a real CometD (Bayeux) server: authenticates handshakes and connects with the
 * OAuth token, implements Salesforce's replay extension, and delivers platform events and change
 * events from the {@link EventLog}.
 *
 * <p>Delivery is done per session rather than by channel broadcast so that "replay the backlog,
 * then go live" happens under one lock: a subscriber gets every event after its replay id exactly
 * once and in order.
 */
final class StreamingHub implements BayeuxServer.Extension, BayeuxServer.SessionListener {
  private static final Logger LOG = LoggerFactory.getLogger(StreamingHub.class);
  static final String AUTH_INVALID = "401::Authentication invalid";

  /** Platform event CreatedDate as Salesforce renders it: millisecond precision, UTC. */
  private static final DateTimeFormatter EVENT_DATE =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
          .withZone(java.time.ZoneOffset.UTC);

  private static final String AUTH_INVALID_ATTR = "sandbox.authInvalid";
  private static final String DROPPED_ATTR = "sandbox.dropped";

  private final BayeuxServerImpl bayeux;
  private final EventLog log;
  private final OrgSchema schema;
  private final OAuthService oauth;
  private final ApiUsage usage;
  private final Object deliveryLock = new Object();
  private final Map<String, Set<ServerSession>> active = new ConcurrentHashMap<>();
  private final Map<String, Long> pendingReplay = new ConcurrentHashMap<>();
  private final Map<String, java.util.concurrent.atomic.AtomicLong> delivered =
      new ConcurrentHashMap<>();
  private final Map<String, String> pendingError = new ConcurrentHashMap<>();

  /** Successful handshakes per client; a client is the OAuth token it handshook with. */
  private final Map<String, String> clientOfToken = new ConcurrentHashMap<>();

  private final Map<String, java.util.concurrent.atomic.AtomicLong> handshakes =
      new ConcurrentHashMap<>();

  StreamingHub(
      BayeuxServerImpl bayeux, EventLog log, OrgSchema schema, OAuthService oauth, ApiUsage usage) {
    this.bayeux = bayeux;
    this.log = log;
    this.schema = schema;
    this.oauth = oauth;
    this.usage = usage;
    bayeux.addExtension(this);
    bayeux.addListener(this);
    bayeux.setSecurityPolicy(new Policy());
  }

  // ---- publishing ----

  /** Publishes a platform event; returns its replay id. */
  long publishPlatformEvent(SObjectType type, Map<String, Object> fields, String userId) {
    String channel = "/event/" + type.name();
    return publish(
        channel,
        replayId -> {
          Map<String, Object> payload = new LinkedHashMap<>();
          payload.put("CreatedDate", EVENT_DATE.format(Instant.now()));
          payload.put("CreatedById", userId);
          payload.putAll(fields);
          return eventData(schemaId(type.name()), payload, replayId);
        });
  }

  /** Publishes the change events of one committed transaction, in order. */
  void publishChanges(List<ChangeEvent> changes, String userId, String apiVersion) {
    for (ChangeEvent c : changes) {
      String channel = "/data/" + changeEventName(c.type());
      publish(
          channel,
          replayId -> {
            Map<String, Object> header = new LinkedHashMap<>();
            header.put("entityName", c.type().name());
            header.put("recordIds", List.of(c.recordId()));
            header.put("changeType", c.changeType());
            header.put("changeOrigin", "com/salesforce/api/rest/" + apiVersion);
            header.put("transactionKey", c.transactionKey());
            header.put("sequenceNumber", c.sequenceNumber());
            header.put("commitTimestamp", c.commitTimestamp());
            header.put("commitNumber", 10_000_000_000L + replayId);
            header.put("commitUser", c.commitUser() != null ? c.commitUser() : userId);
            header.put("nulledFields", c.nulledFields());
            header.put("diffFields", List.of());
            header.put("changedFields", c.changedFields());
            Map<String, Object> payload = new LinkedHashMap<>();
            payload.put("ChangeEventHeader", header);
            payload.putAll(compoundName(c.type(), c.values()));
            return eventData(schemaId(changeEventName(c.type())), payload, replayId);
          });
    }
  }

  /** Contact/Lead names travel as the compound Name field in change events. */
  private static Map<String, Object> compoundName(SObjectType t, Map<String, Object> values) {
    if (t.field("LastName").isEmpty() || t.field("Name").map(FieldDef::createable).orElse(true)) {
      return values;
    }
    Map<String, Object> out = new LinkedHashMap<>(values);
    Map<String, Object> name = new LinkedHashMap<>();
    for (String part : List.of("Salutation", "FirstName", "LastName")) {
      if (out.containsKey(part)) {
        name.put(part, out.remove(part));
      }
    }
    out.remove("Name");
    if (!name.isEmpty()) {
      out.put("Name", name);
    }
    return out;
  }

  static String changeEventName(SObjectType t) {
    return t.isCustom()
        ? t.name().substring(0, t.name().length() - 1) + "ChangeEvent"
        : t.name() + "ChangeEvent";
  }

  private static String schemaId(String name) {
    return UUID.nameUUIDFromBytes(name.getBytes(java.nio.charset.StandardCharsets.UTF_8))
        .toString()
        .replace("-", "")
        .substring(0, 22);
  }

  private static Map<String, Object> eventData(
      String schema, Map<String, Object> payload, long replayId) {
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("replayId", replayId);
    event.put("EventUuid", UUID.randomUUID().toString());
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("schema", schema);
    data.put("payload", payload);
    data.put("event", event);
    return data;
  }

  private long publish(String channel, java.util.function.LongFunction<Map<String, Object>> build) {
    synchronized (deliveryLock) {
      EventLog.StoredEvent e = log.append(channel, build);
      for (Map.Entry<String, Set<ServerSession>> sub : active.entrySet()) {
        if (EventLog.channelMatches(sub.getKey(), channel)) {
          for (ServerSession s : sub.getValue()) {
            deliver(s, sub.getKey(), e);
          }
        }
      }
      return e.replayId();
    }
  }

  private void deliver(ServerSession session, String channel, EventLog.StoredEvent e) {
    session.deliver(null, channel, e.data(), Promise.noop());
    delivered
        .computeIfAbsent(channel, k -> new java.util.concurrent.atomic.AtomicLong())
        .incrementAndGet();
  }

  // ---- faults and inspection ----

  /** Events handed to subscribers per channel (live and replayed) since start or reset. */
  Map<String, Long> deliveredCounts() {
    Map<String, Long> out = new java.util.TreeMap<>();
    delivered.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /** Streaming clients currently connected (handshaken, not local). */
  int clientCount() {
    return (int) bayeux.getSessions().stream().filter(x -> !x.isLocalSession()).count();
  }

  /** Drops every connected client; each must handshake again (and re-subscribe). */
  int dropClients() {
    List<ServerSession> sessions = new ArrayList<>(bayeux.getSessions());
    int n = 0;
    for (ServerSession s : sessions) {
      if (!s.isLocalSession()) {
        deactivate(s);
        s.setAttribute(DROPPED_ATTR, Boolean.TRUE);
        // Answer the held /meta/connect now; sendMeta turns that answer into "unknown client".
        flush(s);
        n++;
      }
    }
    return n;
  }

  private static void flush(ServerSession s) {
    if (s instanceof org.cometd.server.ServerSessionImpl impl) {
      impl.flush();
    }
  }

  private void countHandshake(ServerMessage request) {
    String auth = request == null ? null : authorization(request);
    String token = auth == null ? "" : auth;
    String client =
        clientOfToken.computeIfAbsent(token, t -> "client-" + (clientOfToken.size() + 1));
    handshakes
        .computeIfAbsent(client, k -> new java.util.concurrent.atomic.AtomicLong())
        .incrementAndGet();
  }

  /**
   * Successful handshakes per streaming client since start or reset, by client ({@code client-1},
   * {@code client-2}, ... in the order they first handshook). A client is told apart by its OAuth
   * token, so a connector process is one client until it logs in again.
   */
  Map<String, Long> handshakeCounts() {
    Map<String, Long> out = new java.util.TreeMap<>();
    handshakes.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  Map<String, Integer> subscriberCounts() {
    Map<String, Integer> out = new LinkedHashMap<>();
    active.forEach((k, v) -> out.put(k, v.size()));
    return out;
  }

  // ---- Bayeux hooks ----

  boolean channelExists(String channel) {
    if ("/data/ChangeEvents".equals(channel)) {
      return true;
    }
    if (channel.startsWith("/event/")) {
      return schema.type(channel.substring(7)).filter(SObjectType::isPlatformEvent).isPresent();
    }
    if (channel.startsWith("/data/")) {
      String name = channel.substring(6);
      return schema.types().stream()
          .anyMatch(t -> t.cdcEnabled() && changeEventName(t).equalsIgnoreCase(name));
    }
    return false;
  }

  private final class Policy extends DefaultSecurityPolicy {
    @Override
    public boolean canHandshake(BayeuxServer server, ServerSession session, ServerMessage message) {
      if (session.isLocalSession()) {
        return true;
      }
      return oauth.isValidAuthorization(authorization(message));
    }

    @Override
    public boolean canSubscribe(
        BayeuxServer server, ServerSession session, ServerChannel channel, ServerMessage message) {
      String name = channel.getId();
      String key = key(session, name);
      if (!channelExists(name)) {
        pendingError.put(
            key, "400::The channel you requested to subscribe to does not exist {" + name + "}");
        return false;
      }
      long replayId = requestedReplayId(message, name);
      if (!log.isValidReplayId(replayId)) {
        pendingError.put(
            key,
            "400::The replayId {"
                + replayId
                + "} you provided was invalid.  Please provide a valid ID, -2 to replay all events,"
                + " or -1 to replay only new events.");
        return false;
      }
      pendingReplay.put(key, replayId);
      return true;
    }
  }

  private static String authorization(ServerMessage message) {
    return message.getBayeuxContext() == null
        ? null
        : message.getBayeuxContext().getHeader("Authorization");
  }

  /** Salesforce's replay extension: ext.replay maps channel to replay id (default -1). */
  private static long requestedReplayId(ServerMessage message, String channel) {
    Map<String, Object> ext = message.getExt();
    if (ext != null && ext.get("replay") instanceof Map<?, ?> replay) {
      Object v = replay.get(channel);
      if (v instanceof Number n) {
        return n.longValue();
      }
      if (v instanceof String s) {
        try {
          return Long.parseLong(s);
        } catch (NumberFormatException e) {
          return Long.MIN_VALUE;
        }
      }
    }
    return -1;
  }

  private static String key(ServerSession s, String channel) {
    return s.getId() + "|" + channel;
  }

  @Override
  public boolean rcvMeta(ServerSession from, ServerMessage.Mutable message) {
    String channel = message.getChannel();
    usage.count("cometd " + channel);
    if (Channel.META_CONNECT.equals(channel) && from != null) {
      if (!oauth.isValidAuthorization(authorization(message))) {
        from.setAttribute(AUTH_INVALID_ATTR, Boolean.TRUE);
      }
      if (from.getAttribute(DROPPED_ATTR) != null || from.getAttribute(AUTH_INVALID_ATTR) != null) {
        // The connect is about to be held; answer it promptly (sendMeta rewrites the answer).
        bayeux.schedule(() -> flush(from), 50);
      }
    }
    return true;
  }

  @Override
  public boolean sendMeta(ServerSession to, ServerMessage.Mutable reply) {
    String channel = reply.getChannel();
    if (Channel.META_HANDSHAKE.equals(channel)) {
      if (reply.isSuccessful()) {
        countHandshake(reply.getAssociated());
        reply.getExt(true).put("replay", Boolean.TRUE);
        reply.getExt(true).put("payload.format", Boolean.TRUE);
      } else {
        reply.put(ServerMessage.ERROR_FIELD, "403::Handshake denied");
        reply.getExt(true).put("sfdc", Map.of("failureReason", AUTH_INVALID));
        reply.getAdvice(true).put("reconnect", "none");
      }
    } else if (Channel.META_SUBSCRIBE.equals(channel) && to != null) {
      for (String sub : subscriptions(reply)) {
        String key = key(to, sub);
        if (!reply.isSuccessful()) {
          pendingReplay.remove(key);
          String error = pendingError.remove(key);
          if (error != null) {
            reply.put(ServerMessage.ERROR_FIELD, error);
          }
        } else {
          Long replayId = pendingReplay.remove(key);
          activate(to, sub, replayId == null ? -1 : replayId);
        }
      }
    } else if (Channel.META_UNSUBSCRIBE.equals(channel) && to != null && reply.isSuccessful()) {
      for (String sub : subscriptions(reply)) {
        Set<ServerSession> set = active.get(sub);
        if (set != null) {
          set.remove(to);
        }
      }
    } else if (Channel.META_CONNECT.equals(channel) && to != null && reply.isSuccessful()) {
      if (Boolean.TRUE.equals(to.getAttribute(DROPPED_ATTR))) {
        // What Salesforce answers once it forgot a client: handshake again.
        reply.setSuccessful(false);
        reply.put(ServerMessage.ERROR_FIELD, "403::Unknown client");
        reply.getAdvice(true).put("reconnect", "handshake");
        bayeux.schedule(() -> bayeux.removeSession(to), 100);
      } else if (Boolean.TRUE.equals(to.getAttribute(AUTH_INVALID_ATTR))) {
        // The token behind this streaming session expired: camel-salesforce logs in again on
        // this error, and the advice makes the CometD client handshake afresh with the new token.
        reply.setSuccessful(false);
        reply.put(ServerMessage.ERROR_FIELD, AUTH_INVALID);
        reply.getAdvice(true).put("reconnect", "handshake");
        deactivate(to);
        bayeux.schedule(() -> bayeux.removeSession(to), 100);
      }
    }
    return true;
  }

  private static List<String> subscriptions(ServerMessage reply) {
    Object sub = reply.get(ServerMessage.SUBSCRIPTION_FIELD);
    if (sub instanceof String s) {
      return List.of(s);
    }
    if (sub instanceof Object[] arr) {
      return java.util.Arrays.stream(arr).map(Object::toString).toList();
    }
    if (sub instanceof List<?> list) {
      return list.stream().map(Object::toString).toList();
    }
    return List.of();
  }

  /** Replays the backlog after {@code replayId}, then marks the session live, atomically. */
  private void activate(ServerSession session, String channel, long replayId) {
    synchronized (deliveryLock) {
      if (replayId != -1) {
        for (EventLog.StoredEvent e : log.after(channel, replayId == -2 ? -1 : replayId)) {
          deliver(session, channel, e);
        }
      }
      active.computeIfAbsent(channel, k -> ConcurrentHashMap.newKeySet()).add(session);
    }
    LOG.debug("Streaming subscriber on {} from replayId {}", channel, replayId);
  }

  private void deactivate(ServerSession session) {
    for (Set<ServerSession> set : active.values()) {
      set.remove(session);
    }
  }

  @Override
  public void sessionAdded(ServerSession session, ServerMessage message) {}

  @Override
  public void sessionRemoved(ServerSession session, ServerMessage message, boolean timeout) {
    deactivate(session);
    pendingReplay.keySet().removeIf(k -> k.startsWith(session.getId() + "|"));
    pendingError.keySet().removeIf(k -> k.startsWith(session.getId() + "|"));
  }

  void resetCounts() {
    delivered.clear();
    handshakes.clear();
    clientOfToken.clear();
  }
}
