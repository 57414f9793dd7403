package org.twiliocrm.app;

import java.util.Map;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.twiliocrm.governance.Policies;

/**
 * Readiness reports the send approval policy: the file and hash in force, and, while an edit on
 * disk is broken, its file:line error. It stays UP then, on purpose: the connector keeps sending
 * under the last good policy, which is safe, and a broken ConfigMap shared by every replica would
 * otherwise take the whole service (webhooks included) out of rotation. The gauge {@code
 * twiliocrm.governance.policy.broken} is the alerting signal.
 */
final class PolicyHealthCheck extends AbstractHealthCheck {
  private final Policies policies;

  PolicyHealthCheck(Policies policies) {
    super("connector", "governance-policy");
    this.policies = policies;
  }

  @Override
  public boolean isLiveness() {
    return false;
  }

  @Override
  protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
    builder.detail("policy.location", policies.location());
    builder.detail("policy.sha256", policies.current().hash());
    builder.detail("policy.rules", policies.current().rules().size());
    String error = policies.error();
    if (error != null) {
      builder.detail("policy.error", error);
      builder.message(
          "policy file on disk is broken; the last good policy stays in force: " + error);
    }
    builder.up();
  }
}
