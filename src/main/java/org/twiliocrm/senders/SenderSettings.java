package org.twiliocrm.senders;

import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.twiliocrm.config.Key;
import org.twiliocrm.config.Settings;

/**
 * Settings of the outbox's sender check (keys under {@code governance.senders.*}).
 *
 * @param enabled refuse a sender the account does not own or whose registration does not allow the
 *     channel (BLOCKED, SENDER_NOT_ALLOWED)
 * @param refreshInterval how often the cached registry is read again from Twilio
 */
public record SenderSettings(boolean enabled, Duration refreshInterval) {
  public static final Key<Boolean> ENABLED =
      Key.bool(
          "governance.senders.enabled",
          true,
          "Refuse a sender (From or MessagingServiceSid) the Twilio account does not own, or whose"
              + " registration (capabilities, A2P 10DLC, toll-free verification) does not allow"
              + " the channel: BLOCKED, SENDER_NOT_ALLOWED.");
  public static final Key<Duration> REFRESH_INTERVAL =
      Key.duration(
          "governance.senders.refresh-interval",
          "5m",
          "How often the cached sender registry (numbers, Messaging Services, registrations) is"
              + " read again from Twilio; a sender it does not know triggers an earlier read, at"
              + " most every 10 s.");

  public static final List<Key<?>> KEYS = List.of(ENABLED, REFRESH_INTERVAL);

  public static SenderSettings from(Function<String, String> lookup) {
    Settings s = new Settings(lookup);
    return new SenderSettings(ENABLED.read(s), REFRESH_INTERVAL.read(s));
  }
}
