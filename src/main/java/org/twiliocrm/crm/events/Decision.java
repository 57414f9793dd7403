package org.twiliocrm.crm.events;

/** What one CRM event (or one record of a change event) leads to. */
public sealed interface Decision permits Decision.Send, Decision.Reject {

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
}
