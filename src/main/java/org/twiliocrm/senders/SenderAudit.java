package org.twiliocrm.senders;

import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.account.IncomingPhoneNumber;
import com.twilio.rest.messaging.v1.Service;
import java.util.ArrayList;
import java.util.List;

/**
 * The checks of the {@code senders} command over a {@link SenderInventory}: capabilities, the
 * inbound webhook (a number's SmsUrl, or its Messaging Service's InboundRequestUrl when the service
 * does not defer to the number) and a service's status callback against this connector's URLs, the
 * US A2P 10DLC campaign of US long codes and the verification of toll-free numbers. Each problem
 * carries its fix; the webhook ones can be applied through the API ({@link #apply}).
 *
 * @param inboundUrl the connector's inbound webhook ({public URL}/webhooks/twilio/inbound)
 * @param statusUrl the connector's message status callback (outbox.status-callback-url)
 */
public record SenderAudit(String inboundUrl, String statusUrl) {

  /** What an applied fix changes. */
  public enum Fix {
    NONE,
    NUMBER_SMS_URL,
    SERVICE_INBOUND_URL,
    SERVICE_STATUS_CALLBACK
  }

  /**
   * One problem of one sender.
   *
   * @param sender the number or MG SID
   * @param sid the resource to update (PN... or MG...)
   * @param fix what {@code --apply} does about it (NONE: a manual fix)
   */
  public record Problem(
      String sender, String sid, String check, String found, String howToFix, Fix fix) {}

  public List<Problem> check(SenderInventory inv) {
    List<Problem> out = new ArrayList<>();
    for (SenderInventory.Number n : inv.numbers()) {
      String who = n.phoneNumber();
      if (!n.capabilities().contains("sms")) {
        out.add(
            new Problem(
                who,
                n.sid(),
                "capabilities",
                "no SMS capability (" + String.join(",", n.capabilities()) + ")",
                "use it for voice only, or buy an SMS-capable number",
                Fix.NONE));
      }
      SenderInventory.MessagingService svc =
          n.service() == null ? null : inv.service(n.service()).orElse(null);
      if (svc == null || svc.useInboundWebhookOnNumber()) {
        if (!inboundUrl.equals(n.smsUrl())) {
          out.add(
              new Problem(
                  who,
                  n.sid(),
                  "inbound webhook",
                  "SmsUrl is '" + n.smsUrl() + "'",
                  "set 'A message comes in' to " + inboundUrl + " (HTTP POST): senders --apply",
                  Fix.NUMBER_SMS_URL));
        }
      }
      if (n.type() == SenderInventory.Type.US_LONG_CODE) {
        String a2p = svc == null ? null : svc.a2pStatus();
        if (!SenderInventory.A2P_VERIFIED.equals(a2p) && !SenderInventory.UNKNOWN.equals(a2p)) {
          out.add(
              new Problem(
                  who,
                  n.sid(),
                  "A2P 10DLC",
                  svc == null
                      ? "in no Messaging Service, so in no A2P campaign"
                      : "campaign of " + svc.sid() + " is " + (a2p == null ? "missing" : a2p),
                  "register a brand and campaign (Console > Messaging > Regulatory compliance >"
                      + " A2P 10DLC) and add the number to that campaign's Messaging Service",
                  Fix.NONE));
        }
      }
      if (n.type() == SenderInventory.Type.TOLL_FREE) {
        String tf = n.tollfreeStatus();
        if (!SenderInventory.TF_APPROVED.equals(tf) && !SenderInventory.UNKNOWN.equals(tf)) {
          out.add(
              new Problem(
                  who,
                  n.sid(),
                  "toll-free verification",
                  tf == null ? "none submitted" : tf,
                  tf == null
                      ? "submit a toll-free verification (Console > Phone Numbers > Regulatory"
                          + " Compliance > Toll-Free Verifications)"
                      : "see the rejection reason in the Console and resubmit; until"
                          + " TWILIO_APPROVED, messages fail with 30032",
                  Fix.NONE));
        }
      }
    }
    for (SenderInventory.MessagingService s : inv.services()) {
      if (!s.useInboundWebhookOnNumber() && !inboundUrl.equals(s.inboundRequestUrl())) {
        out.add(
            new Problem(
                s.sid(),
                s.sid(),
                "inbound webhook",
                "InboundRequestUrl is '" + s.inboundRequestUrl() + "'",
                "set the service's 'Send a webhook' request URL to "
                    + inboundUrl
                    + ": senders --apply",
                Fix.SERVICE_INBOUND_URL));
      }
      if (!statusUrl.equals(s.statusCallback())) {
        out.add(
            new Problem(
                s.sid(),
                s.sid(),
                "status callback",
                "StatusCallback is '" + s.statusCallback() + "'",
                "set the service's delivery status callback to " + statusUrl + ": senders --apply",
                Fix.SERVICE_STATUS_CALLBACK));
      }
      if (s.pool().isEmpty()) {
        out.add(
            new Problem(
                s.sid(),
                s.sid(),
                "sender pool",
                "no phone numbers",
                "add a number to the service (Console > Messaging > Services > Sender Pool)",
                Fix.NONE));
      }
    }
    for (String w : inv.warnings()) {
      out.add(
          new Problem(
              "account",
              "",
              "registration",
              w,
              "give the credentials read access to Messaging (a Main API key or the auth token)",
              Fix.NONE));
    }
    return out;
  }

  /** Applies the fixes that can be applied; returns how many updates Twilio accepted. */
  public int apply(TwilioRestClient client, List<Problem> problems) {
    int done = 0;
    for (Problem p : problems) {
      switch (p.fix()) {
        case NUMBER_SMS_URL -> {
          IncomingPhoneNumber.updater(p.sid()).setSmsUrl(inboundUrl).update(client);
          done++;
        }
        case SERVICE_INBOUND_URL -> {
          Service.updater(p.sid()).setInboundRequestUrl(inboundUrl).update(client);
          done++;
        }
        case SERVICE_STATUS_CALLBACK -> {
          Service.updater(p.sid()).setStatusCallback(statusUrl).update(client);
          done++;
        }
        case NONE -> {}
      }
    }
    return done;
  }
}
