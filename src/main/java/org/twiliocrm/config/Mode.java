package org.twiliocrm.config;

/** Whether the connector talks to its local emulators or to the real Twilio and Salesforce. */
public enum Mode {
  /** Local Twilio and Salesforce emulators start in-process; nothing leaves the machine. */
  SANDBOX,
  /** Real Twilio and Salesforce, with credentials from the environment. */
  LIVE,
  /** LIVE when Twilio credentials are configured, otherwise SANDBOX. */
  AUTO
}
