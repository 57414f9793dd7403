package org.twiliocrm.operator;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.main.MainHttpServer;
import org.apache.camel.component.platform.http.vertx.auth.AuthenticationConfig;
import org.apache.camel.component.platform.http.vertx.auth.AuthenticationConfig.AuthenticationConfigEntry;
import org.twiliocrm.config.ConfigException;
import org.twiliocrm.config.Mode;

/**
 * The operators of one connector run and the gate in front of its HTTP port. Credentials come from
 * {@code connector.operator.credentials}; with none configured, sandbox mode mints one admin token
 * for this run and prints it in the banner (the endpoints are never left open, not even on a
 * laptop), and live mode admits no one until credentials are mounted.
 */
public final class OperatorAuth {
  /** The name of the generated sandbox operator, as audit rows record it. */
  public static final String DEV_OPERATOR = "sandbox-admin";

  /**
   * The generated sandbox approver: a second console user, so four eyes can be tried on one machine
   * (a campaign {@link #DEV_OPERATOR} asked for is approved by this one).
   */
  public static final String DEV_APPROVER = "sandbox-approver";

  private volatile OperatorGate gate;
  private final OperatorCredentials credentials;
  private final String devToken;
  private final String devPassword;
  private final String devApproverPassword;
  private final OperatorSessions sessions = new OperatorSessions(java.time.Clock.systemUTC());
  private volatile int managementPort;

  /**
   * {@code connector.management.port}: when above 0, {@code /} and {@code /observe/*} are served
   * only on that port, and everything else only on the public one (404 otherwise). Before install.
   */
  public void managementPort(int port) {
    this.managementPort = port;
  }

  private OperatorAuth(
      OperatorCredentials credentials,
      String devToken,
      String devPassword,
      String devApproverPassword) {
    this.credentials = credentials;
    this.devToken = devToken;
    this.devPassword = devPassword;
    this.devApproverPassword = devApproverPassword;
  }

  /** Reads the credentials; a broken file stops start-up with a message naming the key. */
  public static OperatorAuth from(OperatorSettings settings, Mode mode) {
    String path = settings.credentialsPath();
    if (path != null && !path.isBlank()) {
      try {
        return new OperatorAuth(OperatorCredentials.load(Path.of(path.trim())), null, null, null);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(OperatorSettings.CREDENTIALS.name(), e.getMessage());
      }
    }
    if (mode == Mode.SANDBOX) {
      String token = OperatorCredentials.mintToken();
      String password = OperatorCredentials.mintPassword();
      String approverPassword = OperatorCredentials.mintPassword();
      return new OperatorAuth(
          OperatorCredentials.devAccess(
              DEV_OPERATOR, token, password, DEV_APPROVER, approverPassword),
          token,
          password,
          approverPassword);
    }
    return new OperatorAuth(OperatorCredentials.none(), null, null, null);
  }

  public OperatorCredentials credentials() {
    return credentials;
  }

  /** The operator console's sign-in sessions (accepted by the gate beside passwords and tokens). */
  public OperatorSessions sessions() {
    return sessions;
  }

  /**
   * The admin token sandbox mode generated for this run (what the banner prints), when no
   * credentials were configured: the flow test runner calls a route an engineer added with it, as
   * the business application would with its own.
   */
  public java.util.Optional<String> generatedToken() {
    return java.util.Optional.ofNullable(devToken);
  }

  /**
   * Puts the gate on the HTTP server's router through platform-http's authentication hook: call
   * after Camel Main has configured its HTTP server and before the context starts, so the gate is
   * in place before the port opens.
   */
  public void install(CamelContext context) {
    MainHttpServer server = context.hasService(MainHttpServer.class);
    if (server == null) {
      throw new IllegalStateException("no platform-http server to protect (camel.server.enabled)");
    }
    OperatorGate gate =
        new OperatorGate(() -> credentials, sessions).managementPort(managementPort);
    this.gate = gate;
    AuthenticationConfigEntry entry = new AuthenticationConfigEntry();
    entry.setPath("/*");
    entry.setAuthenticationProviderFactory(vertx -> null);
    entry.setAuthenticationHandlerFactory(
        new AuthenticationConfig.AuthenticationHandlerFactory() {
          @Override
          public <T extends io.vertx.ext.auth.authentication.AuthenticationProvider>
              io.vertx.ext.web.handler.AuthenticationHandler createAuthenticationHandler(T p) {
            return gate;
          }
        });
    AuthenticationConfig auth = new AuthenticationConfig(new ArrayList<>(List.of(entry)));
    auth.setEnabled(true);
    server.getConfiguration().setAuthenticationConfig(auth);
  }

  /** The gate {@link #install} put on the router (null before): routes mounted later reuse it. */
  public OperatorGate gate() {
    return gate;
  }

  /** The banner's lines about operator access: the generated token is printed here, once. */
  public List<String> bannerLines(String publicUrl) {
    List<String> lines = new ArrayList<>();
    if (devToken != null) {
      lines.add(
          "OPERATOR ACCESS (sandbox only): no connector.operator.credentials set, so this run");
      lines.add(
          "  generated an admin token for /api, /observe/metrics and / (it changes each start):");
      lines.add("    Authorization: Bearer " + devToken);
      lines.add(
          "  e.g. curl -H 'Authorization: Bearer "
              + devToken
              + "' "
              + publicUrl
              + "/api/approvals");
      lines.add(
          "  operator console: "
              + publicUrl
              + "/console  user "
              + DEV_OPERATOR
              + "  password "
              + devPassword);
      lines.add(
          "  second console user (approver, for four eyes): user "
              + DEV_APPROVER
              + "  password "
              + devApproverPassword);
    } else if (credentials.size() == 0) {
      lines.add(
          "OPERATOR ACCESS: no connector.operator.credentials set: /api, /observe/metrics and /");
      lines.add(
          "  answer 401 to everyone until an operators Secret is mounted (docs/operators.md)");
    } else {
      lines.add(
          "Operator access: "
              + credentials.size()
              + " operator(s) from "
              + credentials.source()
              + " (/api, /observe/metrics, /)");
    }
    return lines;
  }
}
