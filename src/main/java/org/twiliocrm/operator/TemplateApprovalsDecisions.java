package org.twiliocrm.operator;

import java.util.List;
import java.util.Optional;
import org.twiliocrm.governance.templates.TemplateApprovals;
import org.twiliocrm.governance.templates.TemplateApprovals.Version;

/**
 * {@link TemplateDecisions} over the template versioning service. Approvals and rejections store
 * their comment. Four eyes: the identity that submitted a version ({@code POST .../submit}) cannot
 * approve it.
 */
final class TemplateApprovalsDecisions implements TemplateDecisions {
  private final TemplateApprovals approvals;

  TemplateApprovalsDecisions(TemplateApprovals approvals) {
    this.approvals = approvals;
  }

  @Override
  public List<Version> list(String templateName) {
    return approvals.versions(templateName);
  }

  @Override
  public Optional<Version> show(String version) {
    return approvals.version(version);
  }

  @Override
  public Decision approve(String version, String actor, String comment) {
    return decide(version, actor, comment, true);
  }

  @Override
  public Decision reject(String version, String actor, String comment) {
    return decide(version, actor, comment, false);
  }

  private Decision decide(String version, String actor, String comment, boolean approve) {
    try {
      Version v =
          approve
              ? approvals.approve(version, actor, comment)
              : approvals.reject(version, actor, comment);
      return new Decision(Result.DONE, v);
    } catch (TemplateApprovals.FourEyes e) {
      return new Decision(Result.FOUR_EYES_VIOLATION, e.current);
    } catch (TemplateApprovals.NotFound e) {
      return new Decision(Result.NOT_FOUND, null);
    } catch (TemplateApprovals.Conflict e) {
      return new Decision(Result.ALREADY_DECIDED, e.current);
    }
  }

  @Override
  public Decision submit(String version, String actor) {
    try {
      return new Decision(Result.DONE, approvals.submit(version, actor));
    } catch (TemplateApprovals.NotFound e) {
      return new Decision(Result.NOT_FOUND, null);
    } catch (TemplateApprovals.Conflict e) {
      return new Decision(Result.ALREADY_DECIDED, e.current);
    }
  }
}
