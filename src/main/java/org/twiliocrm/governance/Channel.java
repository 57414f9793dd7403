package org.twiliocrm.governance;

import java.util.Locale;

/**
 * What kind of Twilio send a row asks for; the {@code channel} column holds the lower-case name.
 */
public enum Channel {
  SMS,
  MMS,
  WHATSAPP,
  VOICE,
  VERIFY;

  public static Channel of(String column) {
    return valueOf(column.trim().toUpperCase(Locale.ROOT));
  }

  public String column() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Channels that go through the Messages API. */
  public boolean isMessage() {
    return this == SMS || this == MMS || this == WHATSAPP;
  }
}
