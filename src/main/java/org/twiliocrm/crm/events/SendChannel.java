package org.twiliocrm.crm.events;

import java.util.Set;

/** The outbox channels a CRM event may ask for (the outbox_message channel check). */
final class SendChannel {
  static final Set<String> KNOWN = Set.of("sms", "mms", "whatsapp", "voice");

  private SendChannel() {}

  static boolean isKnown(String channel) {
    return channel != null && KNOWN.contains(channel);
  }
}
