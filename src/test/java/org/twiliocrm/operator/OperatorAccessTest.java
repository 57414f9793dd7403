package org.twiliocrm.operator;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which role each request needs: open probes and webhooks, deny by default. */
class OperatorAccessTest {
  @Test
  void probesAndWebhooksAreOpen() {
    assertThat(OperatorAccess.required("GET", "/observe/health/ready")).isNull();
    assertThat(OperatorAccess.required("GET", "/observe/health/live")).isNull();
    assertThat(OperatorAccess.required("GET", "/observe/health")).isNull();
    assertThat(OperatorAccess.required("POST", "/webhooks/twilio/message-status")).isNull();
  }

  @Test
  void readingNeedsViewerDecidingApproverAllElseAdmin() {
    assertThat(OperatorAccess.required("GET", "/")).isEqualTo(Role.VIEWER);
    assertThat(OperatorAccess.required("GET", "/observe/metrics")).isEqualTo(Role.VIEWER);
    assertThat(OperatorAccess.required("GET", "/api/approvals")).isEqualTo(Role.VIEWER);
    assertThat(OperatorAccess.required("GET", "/api/audit")).isEqualTo(Role.VIEWER);
    assertThat(OperatorAccess.required("POST", "/api/approvals/7/approve"))
        .isEqualTo(Role.APPROVER);
    assertThat(OperatorAccess.required("POST", "/api/approvals/7/reject")).isEqualTo(Role.APPROVER);
    assertThat(OperatorAccess.required("POST", "/api/template-approvals/ab12/approve"))
        .isEqualTo(Role.APPROVER);
    assertThat(OperatorAccess.required("GET", "/api/dashboard")).isEqualTo(Role.VIEWER);
    assertThat(OperatorAccess.required("POST", "/api/consent/opt-out")).isEqualTo(Role.APPROVER);
    assertThat(OperatorAccess.required("POST", "/api/failed/retry")).isEqualTo(Role.APPROVER);
    // Recording an opt-in (or any consent) through the general endpoint stays an admin's.
    assertThat(OperatorAccess.required("POST", "/api/consent")).isEqualTo(Role.ADMIN);
    assertThat(OperatorAccess.required("POST", "/api/failed/retry/x")).isEqualTo(Role.ADMIN);
    assertThat(OperatorAccess.required("DELETE", "/api/approvals/7")).isEqualTo(Role.ADMIN);
    assertThat(OperatorAccess.required("POST", "/api/approvals/7/approve/x")).isEqualTo(Role.ADMIN);
    assertThat(OperatorAccess.required("POST", "/")).isEqualTo(Role.ADMIN);
    assertThat(OperatorAccess.required("GET", "/observe/routes")).isEqualTo(Role.ADMIN);
    assertThat(OperatorAccess.required("GET", "/observe/health/readyx")).isEqualTo(Role.ADMIN);
    assertThat(OperatorAccess.required("GET", "/webhooks")).isEqualTo(Role.ADMIN);
    assertThat(OperatorAccess.required("GET", null)).isEqualTo(Role.ADMIN);
  }

  @Test
  void rolesIncludeTheOnesBelow() {
    assertThat(Role.ADMIN.includes(Role.APPROVER)).isTrue();
    assertThat(Role.APPROVER.includes(Role.VIEWER)).isTrue();
    assertThat(Role.VIEWER.includes(Role.APPROVER)).isFalse();
    assertThat(Role.APPROVER.includes(Role.ADMIN)).isFalse();
    assertThat(Role.parse(" Approver ")).isEqualTo(Role.APPROVER);
    assertThat(Role.parse("root")).isNull();
  }
}
