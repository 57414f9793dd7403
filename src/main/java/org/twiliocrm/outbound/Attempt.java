package org.twiliocrm.outbound;

/**
 * One line of the outbox_attempt audit table: a send, a reconciliation decision, a validation or
 * consent verdict.
 */
public record Attempt(
    long messageId,
    int attempt,
    String kind,
    String outcome,
    String twilioSid,
    Integer httpStatus,
    Integer errorCode,
    String detail,
    int durationMs) {}
