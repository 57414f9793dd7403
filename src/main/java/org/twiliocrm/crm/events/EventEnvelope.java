package org.twiliocrm.crm.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The CometD message around a Salesforce event, {@code {channel, data: {event: {replayId},
 * payload}}}, read the same way for platform events and change events. What was read before a
 * failure (channel, replay id) stays available, so a malformed event is rejected under the best key
 * known.
 */
final class EventEnvelope {
  private static final ObjectMapper JSON = new ObjectMapper();

  String channel;
  Long replayId;
  JsonNode event;
  JsonNode payload;

  /** Starts from the subscription's topic and the replay id the consumer put in a header. */
  EventEnvelope(String topic, Long replayIdHeader) {
    this.channel = topic;
    this.replayId = replayIdHeader;
  }

  /** Reads {@code raw}; throws when it is not a JSON object (the fields read so far stay). */
  EventEnvelope read(String raw) throws Exception {
    JsonNode msg = JSON.readTree(raw == null ? "" : raw);
    if (msg == null || !msg.isObject()) {
      throw new IllegalArgumentException("not a JSON object");
    }
    channel = msg.path("channel").asText(channel);
    event = msg.path("data").path("event");
    if (replayId == null && event.path("replayId").canConvertToLong()) {
      replayId = event.path("replayId").asLong();
    }
    payload = msg.path("data").path("payload");
    return this;
  }
}
