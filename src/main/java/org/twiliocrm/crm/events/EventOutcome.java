package org.twiliocrm.crm.events;

import java.util.List;

/**
 * The decisions taken for one received event, with where it came from. Committing it writes the
 * decisions and advances the stored replay id of {@code channel} in one transaction.
 *
 * @param channel the streaming channel, e.g. /event/Send_Message__e
 * @param replayId the event's replay id (null if the payload had none)
 * @param decisions zero (no rule matched) or more outbox rows / rejections
 */
public record EventOutcome(String channel, Long replayId, List<Decision> decisions) {
  public EventOutcome {
    decisions = List.copyOf(decisions);
  }

  public List<Decision.Reject> rejections() {
    return decisions.stream()
        .filter(Decision.Reject.class::isInstance)
        .map(Decision.Reject.class::cast)
        .toList();
  }

  public List<Decision.Send> sends() {
    return decisions.stream()
        .filter(Decision.Send.class::isInstance)
        .map(Decision.Send.class::cast)
        .toList();
  }
}
