package org.twiliocrm.sandbox.twilio;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-sender send queue, as Twilio runs one: each sender sends at its rate (messages per second),
 * and its queue holds {@code queueSeconds} of that rate. {@link #reserve} gives a message its send
 * slot, or -1 when the queue is full.
 */
final class SenderPacer {

  private final TwilioSandboxSettings settings;
  private final ConcurrentHashMap<String, long[]> nextFreeNanos = new ConcurrentHashMap<>();

  SenderPacer(TwilioSandboxSettings settings) {
    this.settings = settings;
  }

  /** Nanos from now until this message may leave, or -1 if the sender's queue is full. */
  long reserve(String sender, long nowNanos) {
    double mps = rateOf(sender);
    long interval = (long) (1_000_000_000L / mps);
    long maxWait = settings.queueSeconds() * 1_000_000_000L;
    long[] next = nextFreeNanos.computeIfAbsent(sender, k -> new long[] {Long.MIN_VALUE});
    synchronized (next) {
      long slot = Math.max(nowNanos, next[0]);
      if (slot - nowNanos > maxWait) {
        return -1;
      }
      next[0] = slot + interval;
      return slot - nowNanos;
    }
  }

  double rateOf(String sender) {
    if (!settings.realisticPacing()) {
      return settings.defaultMps();
    }
    switch (kindOf(sender)) {
      case "whatsapp":
        return settings.whatsAppMps();
      case "short-code":
        return settings.shortCodeMps();
      case "toll-free":
        return settings.tollFreeMps();
      default:
        return settings.longCodeMps();
    }
  }

  static String kindOf(String sender) {
    if (sender.startsWith("whatsapp:")) {
      return "whatsapp";
    }
    if (sender.matches("\\d{5,6}")) {
      return "short-code";
    }
    if (sender.matches("\\+1(800|833|844|855|866|877|888)\\d{7}")) {
      return "toll-free";
    }
    return "long-code";
  }

  void reset() {
    nextFreeNanos.clear();
  }
}
