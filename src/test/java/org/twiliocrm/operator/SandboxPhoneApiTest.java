package org.twiliocrm.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.User;
import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpConstants;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

/** The sandbox phone's API outside sandbox mode (no sandboxPhone bean): every path is a 404. */
class SandboxPhoneApiTest {
  private static int answer(DefaultCamelContext ctx, String method, String path, String role) {
    Exchange ex = new DefaultExchange(ctx);
    ex.getMessage().setHeader(Exchange.HTTP_METHOD, method);
    ex.getMessage().setHeader(Exchange.HTTP_URI, path);
    ex.getMessage()
        .setHeader(
            VertxPlatformHttpConstants.AUTHENTICATED_USER,
            User.create(new JsonObject().put("username", "carol").put("role", role)));
    ex.getMessage().setBody("{\"to\": \"+15005550006\", \"body\": \"STOP\"}");
    new OperatorApi().handle(ex);
    return ex.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
  }

  @Test
  void inLiveModeTheSandboxPhoneIsNotFound() throws Exception {
    try (DefaultCamelContext ctx = new DefaultCamelContext()) {
      assertThat(answer(ctx, "GET", "/api/sandbox/handsets", "admin")).isEqualTo(404);
      assertThat(answer(ctx, "GET", "/api/sandbox/handsets/%2B14155550100/inbox", "admin"))
          .isEqualTo(404);
      assertThat(answer(ctx, "POST", "/api/sandbox/handsets/%2B14155550100/messages", "admin"))
          .isEqualTo(404);
    }
  }

  @Test
  void aHandsetsReplyNeedsAnApproverAndTheRestIsAdminOrViewer() {
    assertThat(OperatorAccess.required("POST", "/api/sandbox/handsets/%2B1415/messages"))
        .isEqualTo(Role.APPROVER);
    assertThat(OperatorAccess.required("GET", "/api/sandbox/handsets/%2B1415/inbox"))
        .isEqualTo(Role.VIEWER);
    assertThat(OperatorAccess.required("POST", "/api/senders/refresh")).isEqualTo(Role.ADMIN);
    assertThat(OperatorAccess.required("GET", "/api/events")).isEqualTo(Role.VIEWER);
  }
}
