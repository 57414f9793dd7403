package org.twiliocrm.senders;

import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.account.IncomingPhoneNumber;
import com.twilio.rest.messaging.v1.Service;
import com.twilio.rest.messaging.v1.TollfreeVerification;
import com.twilio.rest.messaging.v1.service.PhoneNumber;
import com.twilio.rest.messaging.v1.service.UsAppToPerson;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a Twilio account can send from, read through twilio-java: its phone numbers
 * (IncomingPhoneNumbers) with their capabilities and SMS webhook, its Messaging Services with their
 * webhooks and sender pools, the US A2P 10DLC campaign of each service and the verification of each
 * toll-free number. Immutable; {@link #load} makes one.
 *
 * <p>{@link #refusal} is the outbox's rule: a sender the account does not own, or whose
 * registration does not allow the channel, is refused. A registration state that could not be read
 * (for example an API key without access to toll-free verifications) refuses nothing: only what is
 * known to be wrong blocks a send.
 */
public final class SenderInventory {
  private static final Pattern TOLL_FREE = Pattern.compile("\\+18(00|33|44|55|66|77|88)\\d{7}");
  private static final Pattern NANP = Pattern.compile("\\+1\\d{10}");
  private static final Pattern SHORT_CODE = Pattern.compile("\\d{3,8}");

  /**
   * Twilio's magic test numbers (+1 500 555 xxxx): with test credentials Twilio answers a send from
   * them by its own table (+15005550006 succeeds, +15005550007 is 21606, ...), and they are in no
   * account's IncomingPhoneNumbers. The check leaves them to Twilio.
   */
  private static final Pattern MAGIC = Pattern.compile("\\+1500555\\d{4}");

  /** Campaign status Twilio gives a registered campaign. */
  public static final String A2P_VERIFIED = "VERIFIED";

  /** Toll-free verification status that lets a toll-free number send messages. */
  public static final String TF_APPROVED = "TWILIO_APPROVED";

  /** Kind of number, as the table prints it. */
  public enum Type {
    LONG_CODE("long code"),
    US_LONG_CODE("US long code"),
    TOLL_FREE("toll-free"),
    SHORT_CODE("short code");

    public final String label;

    Type(String label) {
      this.label = label;
    }
  }

  /**
   * One phone number of the account.
   *
   * @param capabilities lower-case: sms, mms, voice, fax
   * @param service the Messaging Service whose pool holds it, or null
   * @param tollfreeStatus its toll-free verification status (null: none; "?": not readable)
   */
  public record Number(
      String sid,
      String phoneNumber,
      Type type,
      Set<String> capabilities,
      String smsUrl,
      String service,
      String tollfreeStatus) {}

  /**
   * One Messaging Service.
   *
   * @param a2pStatus its US A2P campaign status (null: no campaign; "?": not readable)
   */
  public record MessagingService(
      String sid,
      String friendlyName,
      String inboundRequestUrl,
      String statusCallback,
      boolean useInboundWebhookOnNumber,
      List<String> pool,
      String a2pStatus) {}

  /** Marks a registration state that could not be read. */
  public static final String UNKNOWN = "?";

  private final Map<String, Number> numbers;
  private final Map<String, MessagingService> services;
  private final List<String> warnings;
  private final Instant loadedAt;

  public SenderInventory(
      List<Number> numbers, List<MessagingService> services, List<String> warnings, Instant at) {
    Map<String, Number> n = new LinkedHashMap<>();
    numbers.forEach(x -> n.put(x.phoneNumber(), x));
    Map<String, MessagingService> s = new LinkedHashMap<>();
    services.forEach(x -> s.put(x.sid(), x));
    this.numbers = Map.copyOf(n);
    this.services = Map.copyOf(s);
    this.warnings = List.copyOf(warnings);
    this.loadedAt = at;
  }

  /**
   * Reads the account. Listing the numbers or the services failing is fatal (thrown); a
   * registration read failing is recorded as {@link #UNKNOWN} with a warning.
   */
  public static SenderInventory load(TwilioRestClient client) {
    List<String> warnings = new ArrayList<>();
    List<MessagingService> services = new ArrayList<>();
    Map<String, String> poolOf = new LinkedHashMap<>();
    for (Service s : Service.reader().read(client)) {
      List<String> pool = new ArrayList<>();
      for (PhoneNumber p : PhoneNumber.reader(s.getSid()).read(client)) {
        String n = p.getPhoneNumber() == null ? null : p.getPhoneNumber().toString();
        if (n != null) {
          pool.add(n);
          poolOf.put(n, s.getSid());
        }
      }
      String a2p;
      try {
        a2p = null;
        for (UsAppToPerson c : UsAppToPerson.reader(s.getSid()).read(client)) {
          a2p = c.getCampaignStatus();
          break;
        }
      } catch (RuntimeException e) {
        a2p = UNKNOWN;
        warnings.add("US A2P campaign of " + s.getSid() + " not readable: " + e.getMessage());
      }
      services.add(
          new MessagingService(
              s.getSid(),
              s.getFriendlyName(),
              str(s.getInboundRequestUrl()),
              str(s.getStatusCallback()),
              Boolean.TRUE.equals(s.getUseInboundWebhookOnNumber()),
              List.copyOf(pool),
              a2p));
    }
    Map<String, String> tollfree = new LinkedHashMap<>();
    boolean tollfreeReadable = true;
    try {
      for (TollfreeVerification v : TollfreeVerification.reader().read(client)) {
        if (v.getTollfreePhoneNumber() != null && v.getStatus() != null) {
          tollfree.put(v.getTollfreePhoneNumber().toString(), v.getStatus().toString());
        }
      }
    } catch (RuntimeException e) {
      tollfreeReadable = false;
      warnings.add("toll-free verifications not readable: " + e.getMessage());
    }
    List<Number> numbers = new ArrayList<>();
    for (IncomingPhoneNumber p : IncomingPhoneNumber.reader().read(client)) {
      String n = p.getPhoneNumber() == null ? "" : p.getPhoneNumber().toString();
      Set<String> caps = new LinkedHashSet<>();
      var c = p.getCapabilities();
      if (c != null) {
        if (Boolean.TRUE.equals(c.getSms())) {
          caps.add("sms");
        }
        if (Boolean.TRUE.equals(c.getMms())) {
          caps.add("mms");
        }
        if (Boolean.TRUE.equals(c.getVoice())) {
          caps.add("voice");
        }
        if (Boolean.TRUE.equals(c.getFax())) {
          caps.add("fax");
        }
      }
      Type type = type(n);
      String tf = type != Type.TOLL_FREE ? null : tollfreeReadable ? tollfree.get(n) : UNKNOWN;
      numbers.add(
          new Number(p.getSid(), n, type, Set.copyOf(caps), str(p.getSmsUrl()), poolOf.get(n), tf));
    }
    return new SenderInventory(numbers, services, warnings, Instant.now());
  }

  public static Type type(String n) {
    if (TOLL_FREE.matcher(n).matches()) {
      return Type.TOLL_FREE;
    }
    if (NANP.matcher(n).matches()) {
      return Type.US_LONG_CODE;
    }
    if (SHORT_CODE.matcher(n).matches()) {
      return Type.SHORT_CODE;
    }
    return Type.LONG_CODE;
  }

  public List<Number> numbers() {
    return List.copyOf(numbers.values());
  }

  public List<MessagingService> services() {
    return List.copyOf(services.values());
  }

  public Optional<Number> number(String phoneNumber) {
    return Optional.ofNullable(numbers.get(phoneNumber));
  }

  public Optional<MessagingService> service(String sid) {
    return Optional.ofNullable(services.get(sid));
  }

  public List<String> warnings() {
    return warnings;
  }

  public Instant loadedAt() {
    return loadedAt;
  }

  /** Whether this inventory knows the sender at all (a miss may mean it is stale). */
  public boolean knows(String from, String messagingServiceSid) {
    if (from != null && !from.isBlank()) {
      return numbers.containsKey(bare(from)) || MAGIC.matcher(bare(from)).matches();
    }
    return messagingServiceSid != null && services.containsKey(messagingServiceSid);
  }

  /**
   * Why this account may not send on {@code channel} from {@code from} (or, with no From, through
   * {@code messagingServiceSid}); empty when it may.
   */
  public Optional<String> refusal(String channel, String from, String messagingServiceSid) {
    String ch = channel == null ? "sms" : channel.toLowerCase(Locale.ROOT);
    if (from == null || from.isBlank()) {
      if (messagingServiceSid == null || messagingServiceSid.isBlank()) {
        return Optional.empty(); // verify rows and the like: no sender of the account's
      }
      return services.containsKey(messagingServiceSid)
          ? Optional.empty()
          : Optional.of(
              "Messaging Service " + messagingServiceSid + " is not one of this account's");
    }
    String n = bare(from);
    if (MAGIC.matcher(n).matches()) {
      return Optional.empty();
    }
    Number number = numbers.get(n);
    if (number == null) {
      return Optional.of("the account does not own the sender " + mask(n));
    }
    if (ch.equals("whatsapp")) {
      return Optional.empty(); // WhatsApp senders are registered apart from the number
    }
    String needed = ch.equals("voice") ? "voice" : ch.equals("mms") ? "mms" : "sms";
    if (!number.capabilities().isEmpty() && !number.capabilities().contains(needed)) {
      return Optional.of(mask(n) + " has no " + needed + " capability");
    }
    if (ch.equals("voice")) {
      return Optional.empty();
    }
    if (number.type() == Type.TOLL_FREE) {
      String tf = number.tollfreeStatus();
      if (UNKNOWN.equals(tf) || TF_APPROVED.equals(tf)) {
        return Optional.empty();
      }
      return Optional.of(
          "toll-free "
              + mask(n)
              + " is not verified ("
              + (tf == null ? "no verification submitted" : tf)
              + "): Twilio blocks its messages (30032)");
    }
    if (number.type() == Type.US_LONG_CODE) {
      MessagingService s = number.service() == null ? null : services.get(number.service());
      String a2p = s == null ? null : s.a2pStatus();
      if (UNKNOWN.equals(a2p) || A2P_VERIFIED.equals(a2p)) {
        return Optional.empty();
      }
      return Optional.of(
          "US long code "
              + mask(n)
              + (s == null
                  ? " is in no Messaging Service with an A2P 10DLC campaign"
                  : " belongs to "
                      + s.sid()
                      + ", whose A2P 10DLC campaign is "
                      + (a2p == null ? "missing" : a2p))
              + ": Twilio blocks unregistered 10DLC messages (30034)");
    }
    return Optional.empty();
  }

  static String bare(String address) {
    int colon = address.indexOf(':');
    return colon < 0 ? address.trim() : address.substring(colon + 1).trim();
  }

  private static String mask(String n) {
    return org.twiliocrm.config.Redaction.phone(n);
  }

  private static String str(Object o) {
    return o == null ? "" : o.toString();
  }
}
