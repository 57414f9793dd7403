package org.twiliocrm.outbound;

import com.twilio.exception.ApiException;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.account.Call;
import com.twilio.rest.api.v2010.account.CallReader;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.rest.api.v2010.account.MessageReader;
import com.twilio.type.PhoneNumber;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Objects;
import org.twiliocrm.governance.Channel;

/**
 * Decides a row whose earlier send may have reached Twilio (RECONCILING): looks the message up in
 * Twilio by recipient, sender and time window, then marks it SENT (found), sends it again or fails
 * it, per the channel's {@link ReconcilePolicy}. Every decision is logged as a RECONCILE attempt.
 */
public final class Reconciler {
  /** Twilio's largest list page. */
  static final long PAGE_SIZE = 1000;

  /** A lookup reads at most this many messages; beyond it the row stays in RECONCILE. */
  static final int MAX_SCANNED = 20_000;

  private final TwilioRestClient client;
  private final Map<Channel, ReconcilePolicy> policy;
  private final Duration window;

  public Reconciler(
      TwilioRestClient client, Map<Channel, ReconcilePolicy> policy, Duration window) {
    this.client = client;
    this.policy = policy;
    this.window = window;
  }

  /** Route step "reconcile": only acts on RECONCILING rows that validation did not decide. */
  public void reconcile(OutboxWork work) {
    if (work.isDecided() || !work.isReconciling()) {
      return;
    }
    OutboxRow row = work.getRow();
    ReconcilePolicy p = policy.getOrDefault(row.channel(), ReconcilePolicy.LOOKUP_THEN_RESEND);
    if (p == ReconcilePolicy.NEVER_RESEND || row.channel() == Channel.VERIFY) {
      work.decide(
          Outcome.failed(
              "AMBIGUOUS_NOT_RESENT",
              "the send may have reached Twilio and policy "
                  + p
                  + " forbids a second "
                  + row.channel().column(),
              null));
      work.log("RECONCILE", "NOT_RESENT", null, null, null, "policy " + p);
      return;
    }
    Instant since = row.createdAt().minus(Duration.ofMinutes(1));
    Instant floor = Instant.now().minus(window);
    if (since.isBefore(floor)) {
      since = floor;
    }
    Found found;
    try {
      found = row.channel() == Channel.VOICE ? findCall(work, since) : findMessage(work, since);
    } catch (ApiException e) {
      // Lookup failed: keep the row in RECONCILE and try again later; never guess.
      work.decide(Outcome.reconcile("LOOKUP_FAILED", e.getMessage(), e.getCode(), 5_000));
      work.log("RECONCILE", "LOOKUP_FAILED", null, e.getStatusCode(), e.getCode(), e.getMessage());
      return;
    }
    if (found != null) {
      // sent_at is when Twilio created the message, not when this lookup happened to find it.
      work.decide(
          Outcome.sentAt(
              found.sid(), null, work.getSegments(), "RECONCILED_FOUND", found.created()));
      work.log("RECONCILE", "FOUND", found.sid(), null, null, "found in Twilio; not resent");
      return;
    }
    if (p == ReconcilePolicy.LOOKUP_THEN_FAIL) {
      work.decide(
          Outcome.failed(
              "AMBIGUOUS_NOT_FOUND", "not found in Twilio; policy forbids resend", null));
      work.log("RECONCILE", "NOT_FOUND_FAILED", null, null, null, "policy " + p);
      return;
    }
    work.log("RECONCILE", "NOT_FOUND_RESEND", null, null, null, "not in Twilio since " + since);
    work.markResend();
  }

  /** A message or call found in Twilio: its SID and Twilio's date_created (null if absent). */
  record Found(String sid, Instant created) {}

  private static Instant instant(java.time.ZonedDateTime t) {
    return t == null ? null : t.toInstant();
  }

  private Found findMessage(OutboxWork work, Instant since) {
    MessageReader reader = Message.reader().setTo(new PhoneNumber(work.getTo()));
    if (work.getFrom() != null) {
      reader.setFrom(new PhoneNumber(work.getFrom()));
    }
    // No DateSent> filter: a message Twilio accepted but has not sent yet (queued, scheduled) has
    // no DateSent and would be missed, which is exactly the case that must not be resent. Twilio
    // lists newest first, so the first page covers the window; date_created is checked here.
    reader.setPageSize(PAGE_SIZE);
    int seen = 0;
    for (Message m : reader.read(client)) {
      // Newest first: once past the window start, nothing older can be ours.
      if (m.getDateCreated() != null && m.getDateCreated().toInstant().isBefore(since)) {
        break;
      }
      boolean sameService =
          work.getMessagingServiceSid() == null
              || work.getMessagingServiceSid().equals(m.getMessagingServiceSid());
      boolean sameText = work.getBody() == null || Objects.equals(work.getBody(), m.getBody());
      if (sameService && sameText) {
        return new Found(m.getSid(), instant(m.getDateCreated()));
      }
      if (++seen >= MAX_SCANNED) {
        throw new ApiException("more than " + MAX_SCANNED + " messages in the window to scan");
      }
    }
    return null;
  }

  private Found findCall(OutboxWork work, Instant since) {
    CallReader reader =
        Call.reader().setTo(new PhoneNumber(work.getTo())).setFrom(new PhoneNumber(work.getFrom()));
    reader.setStartTimeAfter(since.atZone(ZoneOffset.UTC));
    reader.setPageSize(50L);
    for (Call c : reader.firstPage(client).getRecords()) {
      if (c.getDateCreated() == null || !c.getDateCreated().toInstant().isBefore(since)) {
        return new Found(c.getSid(), instant(c.getDateCreated()));
      }
    }
    return null;
  }
}
