package org.twiliocrm.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.springframework.security.crypto.bcrypt.BCrypt;
import org.twiliocrm.operator.OperatorCredentials;

/**
 * One operators file for tests (the format a mounted Secret holds), with a user and a token per
 * role. Passwords are hashed at bcrypt's lowest cost (4) so tests stay fast; the connector accepts
 * any cost.
 */
public final class TestOperators {
  public static final String VIEWER_TOKEN = "tcop_test-viewer-token";
  public static final String APPROVER_TOKEN = "tcop_test-approver-token";
  public static final String APPROVER2_TOKEN = "tcop_test-second-approver-token";
  public static final String ADMIN_TOKEN = "tcop_test-admin-token";

  /** user name = password prefix: "alice" has password "alice-password". */
  public static final String VIEWER_USER = "alice";

  public static final String APPROVER_USER = "bob";
  public static final String ADMIN_USER = "carol";

  private static Path file;

  private TestOperators() {}

  public static synchronized Path file() {
    if (file == null) {
      try {
        Path dir = Files.createTempDirectory("operators");
        file = dir.resolve("operators.yaml");
        Files.writeString(file, yaml(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return file;
  }

  public static String yaml() {
    return "users:\n"
        + user(VIEWER_USER, "viewer")
        + user(APPROVER_USER, "approver")
        + user(ADMIN_USER, "admin")
        + "tokens:\n"
        + token("viewer-bot", "viewer", VIEWER_TOKEN)
        + token("approver-bot", "approver", APPROVER_TOKEN)
        + token("approver-bot-2", "approver", APPROVER2_TOKEN)
        + token("admin-bot", "admin", ADMIN_TOKEN);
  }

  public static String password(String user) {
    return user + "-password";
  }

  public static String basic(String user) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password(user)).getBytes(StandardCharsets.UTF_8));
  }

  public static String bearer(String token) {
    return "Bearer " + token;
  }

  private static String user(String name, String role) {
    return "  - name: "
        + name
        + "\n    role: "
        + role
        + "\n    bcrypt: \""
        + BCrypt.hashpw(password(name), BCrypt.gensalt(4))
        + "\"\n";
  }

  private static String token(String name, String role, String token) {
    return "  - name: "
        + name
        + "\n    role: "
        + role
        + "\n    sha256: \""
        + OperatorCredentials.hashToken(token)
        + "\"\n";
  }
}
