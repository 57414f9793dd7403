package org.twiliocrm.sandbox.twilio;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Everything the sandbox remembers, in memory. {@link #reset()} forgets it all. */
final class SandboxState {
  final Map<String, SandboxMessage> messages = new ConcurrentHashMap<>();

  /** Message SIDs oldest first, to forget the oldest beyond the configured maximum. */
  private final java.util.Queue<String> messageOrder =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  private final java.util.concurrent.atomic.AtomicInteger messageCount =
      new java.util.concurrent.atomic.AtomicInteger();
  private final int maxMessages;
  private static final int MAX_INBOX = 1000;

  /**
   * Inbox entries kept over all handsets: a run to many phones (the whole-loop benchmark sends to
   * 8,000) kept every delivered message in some inbox. Beyond it the oldest entries go.
   */
  static final int MAX_INBOX_ENTRIES = 20_000;

  /** Inbox entries oldest first, with the inbox each went to, for {@link #MAX_INBOX_ENTRIES}. */
  private final java.util.Queue<Object[]> inboxOrder =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  private final java.util.concurrent.atomic.AtomicInteger inboxOrderSize =
      new java.util.concurrent.atomic.AtomicInteger();

  /**
   * Bumped by {@link #reset()}: the life cycle of a message stored before a reset stops there, even
   * if the message had already been forgotten for {@code max-messages}.
   */
  private final java.util.concurrent.atomic.AtomicLong generation =
      new java.util.concurrent.atomic.AtomicLong();

  SandboxState(int maxMessages) {
    this.maxMessages = maxMessages;
  }

  /**
   * Stores a message, forgetting the oldest ones beyond {@code sandbox.twilio.max-messages}. A
   * forgotten message is no longer listed or fetchable, but one still queued or being sent lives on
   * to its final status with its status callbacks, as at Twilio: forgetting bounds the memory of
   * history, it does not cancel sends already accepted (the timers hold such a message until its
   * life cycle ends anyway).
   */
  void add(SandboxMessage m) {
    m.generation = generation.get();
    messages.put(m.sid, m);
    messageOrder.add(m.sid);
    if (messageCount.incrementAndGet() > maxMessages) {
      // Skip SIDs already deleted through the API: they were counted off then.
      for (String oldest = messageOrder.poll(); oldest != null; oldest = messageOrder.poll()) {
        if (messages.remove(oldest) != null) {
          messageCount.decrementAndGet();
          break;
        }
      }
    }
  }

  /** DELETE of a message through the API: a deleted (scheduled) message is never sent. */
  void remove(String sid) {
    SandboxMessage m = messages.remove(sid);
    if (m != null) {
      m.generation = -1;
      messageCount.decrementAndGet();
    }
  }

  /**
   * Whether a message's life cycle goes on: false once a reset forgot it or the API deleted it. Not
   * whether it is still in {@link #messages}: the {@code max-messages} bound forgets old messages
   * without stopping their sends.
   */
  boolean alive(SandboxMessage m) {
    return m.generation == generation.get();
  }

  /**
   * API requests hold the read lock while they act; a reset holds the write lock, so a request sees
   * the state either wholly before or wholly after a reset, never half-cleared.
   */
  final java.util.concurrent.locks.ReadWriteLock lock =
      new java.util.concurrent.locks.ReentrantReadWriteLock();

  /** Verify services created through the API (those configured at start are kept apart). */
  final Map<String, Map<String, Object>> verifyServices = new ConcurrentHashMap<>();

  final Map<String, SandboxCall> calls = new ConcurrentHashMap<>();
  final Map<String, SandboxVerification> verifications = new ConcurrentHashMap<>();

  /** "handset|sender" pairs opted out with STOP. */
  final Set<String> optOuts = ConcurrentHashMap.newKeySet();

  /** Handset -> what it received (messages, verify codes). */
  final Map<String, List<Map<String, Object>>> inboxes = new ConcurrentHashMap<>();

  /** Handset -> when it last wrote to a sandbox number (WhatsApp 24-hour window). */
  final Map<String, Instant> lastInbound = new ConcurrentHashMap<>();

  /** Sandbox number -> inbound SMS webhook URL set through the control API. */
  final Map<String, String> smsWebhooks = new ConcurrentHashMap<>();

  /** Sandbox number -> voice status callback set through IncomingPhoneNumbers update. */
  final Map<String, String> numberStatusCallbacks = new ConcurrentHashMap<>();

  /**
   * Messaging Service SID -> fields set through {@code POST /v1/Services/{Sid}}
   * (inbound_request_url, status_callback, use_inbound_webhook_on_number, ...) over the seeded
   * defaults.
   */
  final Map<String, Map<String, Object>> serviceSettings = new ConcurrentHashMap<>();

  /** Messaging Service SID -> US A2P campaign status set through the control API. */
  final Map<String, String> campaignStatus = new ConcurrentHashMap<>();

  /** Toll-free number -> verification status set through the control API. */
  final Map<String, String> tollfreeStatus = new ConcurrentHashMap<>();

  /** "METHOD path" -> requests received on the Twilio API (not the control API). */
  final Map<String, java.util.concurrent.atomic.LongAdder> requestCounts =
      new ConcurrentHashMap<>();

  /** Response bodies that did not validate against the OpenAPI response schema. */
  final List<Map<String, Object>> responseViolations =
      Collections.synchronizedList(new ArrayList<>());

  static String optOutKey(String handset, String sender) {
    return bare(handset) + "|" + bare(sender);
  }

  /** whatsapp:+1555 -> +1555: opt-outs and inboxes are per phone, whatever the channel. */
  static String bare(String address) {
    int colon = address.indexOf(':');
    return colon < 0 ? address : address.substring(colon + 1);
  }

  void deliverToInbox(String handset, Map<String, Object> entry) {
    List<Map<String, Object>> inbox =
        inboxes.computeIfAbsent(
            bare(handset), k -> Collections.synchronizedList(new ArrayList<>()));
    synchronized (inbox) {
      inbox.add(entry);
      if (inbox.size() > MAX_INBOX) {
        inbox.remove(0);
      }
    }
    inboxOrder.add(new Object[] {inbox, entry});
    if (inboxOrderSize.incrementAndGet() > MAX_INBOX_ENTRIES) {
      Object[] oldest = inboxOrder.poll();
      if (oldest != null) {
        inboxOrderSize.decrementAndGet();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> from = (List<Map<String, Object>>) oldest[0];
        synchronized (from) {
          // By identity: an equal entry delivered later stays. Gone already when the handset's
          // own cap dropped it.
          for (int i = 0; i < from.size(); i++) {
            if (from.get(i) == oldest[1]) {
              from.remove(i);
              break;
            }
          }
        }
      }
    }
  }

  List<Map<String, Object>> inbox(String handset) {
    List<Map<String, Object>> inbox = inboxes.get(bare(handset));
    if (inbox == null) {
      return List.of();
    }
    synchronized (inbox) {
      return List.copyOf(inbox);
    }
  }

  void countRequest(String method, String path) {
    requestCounts
        .computeIfAbsent(method + " " + path, k -> new java.util.concurrent.atomic.LongAdder())
        .increment();
  }

  void reset() {
    generation.incrementAndGet();
    verifyServices.clear();
    messages.clear();
    messageOrder.clear();
    messageCount.set(0);
    calls.clear();
    verifications.clear();
    optOuts.clear();
    inboxes.clear();
    inboxOrder.clear();
    inboxOrderSize.set(0);
    lastInbound.clear();
    smsWebhooks.clear();
    numberStatusCallbacks.clear();
    serviceSettings.clear();
    campaignStatus.clear();
    tollfreeStatus.clear();
    requestCounts.clear();
    responseViolations.clear();
  }
}
