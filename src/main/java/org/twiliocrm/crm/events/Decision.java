package org.twiliocrm.crm.events;

/** What one CRM event (or one record of a change event) leads to. */
public sealed interface Decision permits Decision.Send, Decision.Reject, Decision.Lookup {

  /**
   * An outbox row to insert. {@code idempotencyKey} is derived from the event (Idempotency_Key__c,
   * EventUuid or channel+replay id), so a replayed or doubly delivered event inserts nothing new.
   */
  record Send(
      String idempotencyKey,
      String channel,
      String recipient,
      String body,
      String templateName,
      String templateVariables,
      String crmObject,
      String crmRecordId)
      implements Decision {}

  /** A bad event: recorded in crm_event_rejection and, if a record is known, written back to it. */
  record Reject(
      String eventKey,
      String reasonCode,
      String reason,
      String crmObject,
      String crmRecordId,
      String payload)
      implements Decision {}

  /**
   * A send whose phone is still to be read from its CRM record ({@code draft.crmRecordId()}; the
   * draft's recipient is null). The committer resolves the look-ups of a whole commit group with
   * one SOQL query per object ({@link RecipientResolver#resolveAll}) before the group commits; it
   * becomes a {@link Send} or, with no record or no phone, a {@link Reject}. Never stored.
   */
  record Lookup(Send draft, String eventKey, String payload) implements Decision {}
}
