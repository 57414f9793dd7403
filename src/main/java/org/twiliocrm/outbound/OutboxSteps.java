package org.twiliocrm.outbound;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.camel.Exchange;
import org.twiliocrm.governance.ConsentChecker;

/**
 * The small route steps that are not validation, sending or recording: the consent check and the
 * hand-over of a row's fields to the Twilio kamelets as headers.
 */
public final class OutboxSteps {
  /** The row's channel (sms, mms, whatsapp, voice, verify), for the send route's choice. */
  public static final String CHANNEL_HEADER = "OutboxChannel";

  private final ConsentChecker consent;
  private final String statusCallback;
  private final String verifyServiceSid;
  private final String callStatusCallback;

  /** Calls report to their own webhook: call callbacks carry CallSid/CallStatus, not MessageSid. */
  public OutboxSteps(
      ConsentChecker consent,
      String statusCallback,
      String verifyServiceSid,
      String callStatusCallback) {
    this.callStatusCallback = callStatusCallback;
    this.consent = consent;
    this.statusCallback = statusCallback;
    this.verifyServiceSid = verifyServiceSid;
  }

  /**
   * Route step "consent" over a claimed batch: one consent query for the whole batch (see {@link
   * ConsentChecker#optOutReasons}) instead of one per row. If the lookup itself fails, the
   * undecided rows are retried later (RETRY, CONSENT_LOOKUP_FAILED): never sent unchecked.
   */
  public List<OutboxWork> consentAll(List<OutboxWork> batch) {
    List<OutboxWork> todo = new ArrayList<>(batch.size());
    List<ConsentChecker.Subject> subjects = new ArrayList<>(batch.size());
    for (OutboxWork w : batch) {
      if (!w.isDecided() && w.getTo() != null) {
        todo.add(w);
        subjects.add(
            new ConsentChecker.Subject(w.getTo(), w.getFrom(), w.getMessagingServiceSid()));
      }
    }
    if (todo.isEmpty()) {
      return batch;
    }
    List<Optional<String>> reasons;
    try {
      reasons = consent.optOutReasons(subjects);
    } catch (RuntimeException e) {
      for (OutboxWork w : todo) {
        w.decide(Outcome.retry("CONSENT_LOOKUP_FAILED", e.getMessage(), null, 5_000));
        w.log("CONSENT", "LOOKUP_FAILED", null, null, null, e.getMessage());
      }
      return batch;
    }
    for (int i = 0; i < todo.size(); i++) {
      Optional<String> why = reasons.get(i);
      if (why.isPresent()) {
        OutboxWork w = todo.get(i);
        w.decide(Outcome.blocked("OPTED_OUT", why.get()));
        w.log("CONSENT", "BLOCKED", null, null, null, why.get());
      }
    }
    return batch;
  }

  /** The send flow's filter: only rows no earlier step decided go on to Twilio. */
  public boolean undecided(OutboxWork work) {
    return !work.isDecided();
  }

  /**
   * Route step before the kamelets: the send's inputs as CamelTwilio* headers. Numbers go in
   * headers, never into an endpoint URI, where a {@code +} would reach Twilio as a space.
   */
  public void toHeaders(Exchange exchange) {
    OutboxWork work = exchange.getMessage().getBody(OutboxWork.class);
    var m = exchange.getMessage();
    // The route's choice reads this header; a header lookup is much cheaper per row than the
    // bean-property expression ${body.channel}.
    m.setHeader(CHANNEL_HEADER, work.getChannel());
    m.setHeader(TwilioActions.TO, work.getTo());
    m.setHeader(TwilioActions.FROM, work.getFrom());
    m.setHeader(TwilioActions.MESSAGING_SERVICE_SID, work.getMessagingServiceSid());
    m.setHeader(TwilioActions.STATUS_CALLBACK, statusCallback);
    switch (work.getRow().channel()) {
      case VOICE -> {
        m.setHeader(TwilioActions.TWIML, Twiml.say(work.getBody()));
        m.setHeader(TwilioActions.STATUS_CALLBACK, callStatusCallback);
      }
      case VERIFY -> {
        m.setHeader(TwilioActions.SERVICE_SID, verifyServiceSid);
        m.setHeader(
            TwilioActions.CHANNEL,
            work.getRow().recipient().startsWith("whatsapp:") ? "whatsapp" : "sms");
      }
      default -> {
        m.setHeader(TwilioActions.BODY, work.getBody());
        if (!work.getMediaUrls().isEmpty()) {
          m.setHeader(TwilioActions.MEDIA_URL, work.getMediaUrls());
        }
        m.setHeader(TwilioActions.CONTENT_SID, work.getContentSid());
        m.setHeader(TwilioActions.CONTENT_VARIABLES, work.getContentVariables());
      }
    }
  }
}
