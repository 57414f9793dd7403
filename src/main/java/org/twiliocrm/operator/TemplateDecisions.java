package org.twiliocrm.operator;

import java.util.List;
import java.util.Optional;
import org.twiliocrm.governance.templates.TemplateApprovals.Version;

/**
 * What {@code /api/template-approvals} needs from the template versioning service. A small seam of
 * this package's own: the versioning service (governance.templates.TemplateApprovals on branch
 * gov-templates) was written in parallel; an adapter bound as the bean {@code templateDecisions}
 * connects it. Without that bean the endpoints answer 503 with the reason. The versions are the
 * service's own records ({@link Version}, {@code content} the normalized text that is sent), not a
 * copy of their fields.
 */
public interface TemplateDecisions {
  /** Bean name the API looks up. */
  String BEAN = "templateDecisions";

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
