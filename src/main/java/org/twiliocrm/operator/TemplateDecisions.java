package org.twiliocrm.operator;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What {@code /api/template-approvals} needs from the template versioning service. A small seam of
 * this package's own: the versioning service (governance.templates.TemplateApprovals on branch
 * gov-templates) was written in parallel; an adapter bound as the bean {@code templateDecisions}
 * connects it. Without that bean the endpoints answer 503 with the reason.
 */
public interface TemplateDecisions {
  /** Bean name the API looks up. */
  String BEAN = "templateDecisions";

  /** One template version as stored; {@code content} is the normalized text that is sent. */
  record Version(
      String templateName,
      String version,
      String purpose,
      String state,
      String source,
      Instant firstSeenAt,
      String decidedBy,
      Instant decidedAt,
      String comment,
      String content,
      String submittedBy) {}

  /** As for approval requests: DONE, NOT_FOUND, ALREADY_DECIDED (nothing changed). */
  enum Result {
    DONE,
    NOT_FOUND,
    ALREADY_DECIDED,
    FOUR_EYES_VIOLATION
  }

  record Decision(Result result, Version version) {}

  /** Versions, newest first; {@code templateName} null for all. */
  List<Version> list(String templateName);

  /** One version by its hash (or a unique prefix). */
  Optional<Version> show(String version);

  Decision approve(String version, String actor, String comment);

  Decision reject(String version, String actor, String comment);

  /**
   * Submits a pending version for approval as {@code actor}, who then cannot approve it (four
   * eyes). ALREADY_DECIDED when it was decided or submitted before.
   */
  Decision submit(String version, String actor);
}
