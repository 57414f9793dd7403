package org.twiliocrm.webhook;

import java.sql.Timestamp;

/**
 * A new {@code message_state} row: one message or call the connector knows, as first seen. Later
 * callbacks only move its status forward ({@link MessageStateStore}).
 */
public record MessageState(
    String sid,
    String direction,
    String channel,
    String status,
    Integer errorCode,
    String from,
    String to,
    String messagingServiceSid,
    String accountSid,
    String body,
    Integer segments,
    String crmObject,
    String crmRecordId,
    String replyToSid,
    Timestamp sentAt,
    Timestamp deliveredAt) {}
