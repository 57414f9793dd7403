package org.twiliocrm.sandbox.twilio;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

/**
 * The senders the sandbox's account owns: its phone numbers ({@code sandbox.twilio.numbers}) and
 * Messaging Services ({@code sandbox.twilio.messaging-services}). Twilio refuses a From it does not
 * own, and so does the sandbox: 21606 for a message, 63007 for a WhatsApp sender, 21210 for a call;
 * an unknown Messaging Service is 21701. Magic test numbers ({@link MagicNumbers}) are answered
 * first, as Twilio's test credentials answer them.
 *
 * <p>Numbers can be added and removed at run time (for an IncomingPhoneNumbers emulation or a
 * test); {@link #reset()} goes back to the configured set. Thread-safe.
 */
public final class SenderRegistry {
  private static final Pattern MG = Pattern.compile("MG[0-9a-fA-F]{32}");

  private final List<String> configuredNumbers;
  private final Set<String> configuredServices;
  private final CopyOnWriteArrayList<String> numbers = new CopyOnWriteArrayList<>();
  private final CopyOnWriteArrayList<String> services = new CopyOnWriteArrayList<>();

  public SenderRegistry(List<String> numbers, List<String> messagingServices) {
    this.configuredNumbers = List.copyOf(numbers);
    this.configuredServices = Set.copyOf(messagingServices);
    reset();
  }

  public static SenderRegistry of(TwilioSandboxSettings settings) {
    return new SenderRegistry(settings.numbers(), settings.messagingServices());
  }

  /** The owned numbers (E.164 or short code), configured ones first, in order. */
  public List<String> numbers() {
    return List.copyOf(numbers);
  }

  /** The owned Messaging Service SIDs. */
  public List<String> messagingServices() {
    return List.copyOf(services);
  }

  /** Whether the account owns this number; a {@code whatsapp:} prefix is ignored. */
  public boolean ownsNumber(String address) {
    return address != null && numbers.contains(SandboxState.bare(address));
  }

  public boolean ownsService(String messagingServiceSid) {
    return messagingServiceSid != null && services.contains(messagingServiceSid);
  }

  /** Adds an owned number (E.164 or short code); false if it was owned already. */
  public boolean addNumber(String number) {
    if (!TwilioSandboxSettings.isOwnableNumber(number)) {
      throw new IllegalArgumentException("not an E.164 number or short code: " + number);
    }
    return numbers.addIfAbsent(number);
  }

  /** Releases a number; false if it was not owned. */
  public boolean removeNumber(String number) {
    return numbers.remove(number);
  }

  /** Back to the configured numbers and services. */
  public void reset() {
    numbers.clear();
    numbers.addAll(configuredNumbers);
    services.clear();
    services.addAll(configuredServices);
  }

  /** The number a Messaging Service sends from: the first owned number. */
  String senderFor(String messagingServiceSid, boolean whatsApp) {
    String n = numbers.isEmpty() ? MagicNumbers.VALID_FROM : numbers.get(0);
    return whatsApp ? "whatsapp:" + n : n;
  }

  /** Messages: a MessagingServiceSid must be well formed (21705) and owned (21701). */
  void checkMessagingService(String mg) {
    if (!MG.matcher(mg).matches()) {
      throw ApiError.badRequest(21705, "The Messaging Service Sid " + mg + " is invalid.");
    }
    if (!ownsService(mg)) {
      throw ApiError.badRequest(
          21701,
          "The Messaging Service Sid "
              + mg
              + " does not exist or does not belong to this account.");
    }
  }

  /** Messages: the magic From numbers first, then ownership (21606, or 63007 for WhatsApp). */
  void checkMessageFrom(String from) {
    String bare = SandboxState.bare(from);
    boolean whatsApp = from.startsWith("whatsapp:");
    if (!whatsApp) {
      MagicNumbers.check(MagicNumbers.Resource.MESSAGES, MagicNumbers.Param.FROM, bare);
      if (MagicNumbers.VALID_FROM.equals(bare)) {
        return; // Twilio's test credentials accept it whatever the account owns
      }
    }
    if (ownsNumber(bare)) {
      return;
    }
    if (whatsApp) {
      throw ApiError.badRequest(
          63007,
          "Twilio could not find a Channel with the specified From address: whatsapp:"
              + Wire.mask(bare));
    }
    throw ApiError.badRequest(21606, MagicNumbers.NOT_OWNED_MESSAGE.formatted(Wire.mask(bare)));
  }

  /** Calls: the magic From numbers first, then ownership (21210, not a verified caller ID). */
  void checkCallFrom(String from) {
    MagicNumbers.check(MagicNumbers.Resource.CALLS, MagicNumbers.Param.FROM, from);
    if (MagicNumbers.VALID_FROM.equals(from) || ownsNumber(from)) {
      return;
    }
    throw ApiError.badRequest(
        21210,
        "The source phone number provided, "
            + Wire.mask(from)
            + ", is not yet verified for your account. You may only make calls from phone numbers"
            + " that you've verified or purchased from Twilio.");
  }
}
