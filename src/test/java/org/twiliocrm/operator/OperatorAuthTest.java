package org.twiliocrm.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.twiliocrm.config.Mode;

/** Sandbox mode without credentials: the banner's generated token and console user work. */
class OperatorAuthTest {
  @Test
  void sandboxModeGeneratesTwoConsoleUsersWhosePasswordsAreInTheBanner() {
    OperatorAuth auth = OperatorAuth.from(new OperatorSettings(""), Mode.SANDBOX);
    List<String> lines = auth.bannerLines("http://localhost:8080");
    String console = lines.stream().filter(l -> l.contains("/console")).findFirst().orElseThrow();
    assertThat(console).contains("http://localhost:8080/console").contains("user sandbox-admin");
    String password = console.substring(console.indexOf("password ") + "password ".length()).trim();
    assertThat(password).hasSizeGreaterThanOrEqualTo(20);
    OperatorSessions.SignIn r =
        auth.sessions().signIn(auth.credentials(), OperatorAuth.DEV_OPERATOR, password, "local");
    assertThat(r).isInstanceOf(OperatorSessions.SignIn.Ok.class);
    assertThat(((OperatorSessions.SignIn.Ok) r).session().operator().role()).isEqualTo(Role.ADMIN);
    assertThat(auth.sessions().signIn(auth.credentials(), OperatorAuth.DEV_OPERATOR, "x", "local"))
        .isInstanceOf(OperatorSessions.SignIn.Invalid.class);
    // A second user, an approver, with its own password: four eyes can be tried on one machine.
    String second =
        lines.stream().filter(l -> l.contains("user sandbox-approver")).findFirst().orElseThrow();
    String approverPassword =
        second.substring(second.indexOf("password ") + "password ".length()).trim();
    assertThat(approverPassword).hasSizeGreaterThanOrEqualTo(20).isNotEqualTo(password);
    OperatorSessions.SignIn a =
        auth.sessions()
            .signIn(auth.credentials(), OperatorAuth.DEV_APPROVER, approverPassword, "local");
    assertThat(a).isInstanceOf(OperatorSessions.SignIn.Ok.class);
    assertThat(((OperatorSessions.SignIn.Ok) a).session().operator().role())
        .isEqualTo(Role.APPROVER);
    assertThat(auth.sessions().signIn(auth.credentials(), OperatorAuth.DEV_APPROVER, password, "l"))
        .isInstanceOf(OperatorSessions.SignIn.Invalid.class);
    // Each run makes its own.
    OperatorAuth other = OperatorAuth.from(new OperatorSettings(""), Mode.SANDBOX);
    assertThat(other.credentials().byPassword(OperatorAuth.DEV_OPERATOR, password)).isEmpty();
  }

  @Test
  void liveModeWithoutCredentialsHasNoConsoleUser() {
    OperatorAuth auth = OperatorAuth.from(new OperatorSettings(""), Mode.LIVE);
    assertThat(auth.credentials().size()).isZero();
    assertThat(String.join("\n", auth.bannerLines("https://x"))).doesNotContain("password");
  }
}
