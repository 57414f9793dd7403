package org.twiliocrm.app;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.twiliocrm.operator.OperatorCredentials;
import org.twiliocrm.operator.Role;

/**
 * {@code operator hash-password NAME ROLE} and {@code operator mint-token NAME ROLE}: print the
 * entry to paste into the operators Secret (deploy/kubernetes/operators-secret.example.yaml). The
 * password is read from the console without echo (or one line of standard input when piped); a
 * minted token is printed once and only its hash goes into the Secret.
 */
final class OperatorCommand {
  private OperatorCommand() {}

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length != 3 || !(args[0].equals("hash-password") || args[0].equals("mint-token"))) {
      err.println("Usage: operator hash-password NAME ROLE | operator mint-token NAME ROLE");
      err.println("       ROLE is viewer, approver or admin");
      return 2;
    }
    String name = args[1];
    Role role = Role.parse(args[2]);
    if (role == null) {
      err.println("Unknown role '" + args[2] + "': use viewer, approver or admin");
      return 2;
    }
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")) {
      err.println("The name must be 1-100 letters, digits, '.', '_', '@' or '-'");
      return 2;
    }
    if (args[0].equals("mint-token")) {
      String token = OperatorCredentials.mintToken();
      err.println("The token (shown once; give it to the client, keep only the hash below):");
      err.println("  " + token);
      out.println("tokens:");
      out.println("  - name: " + name);
      out.println("    role: " + role.label());
      out.println("    sha256: \"" + OperatorCredentials.hashToken(token) + "\"");
      return 0;
    }
    char[] password = readPassword(err);
    if (password == null || password.length < 12) {
      err.println("A password of at least 12 characters is needed");
      return 2;
    }
    String hash = OperatorCredentials.hashPassword(new String(password));
    Arrays.fill(password, '\0');
    out.println("users:");
    out.println("  - name: " + name);
    out.println("    role: " + role.label());
    out.println("    bcrypt: \"" + hash + "\"");
    return 0;
  }

  private static char[] readPassword(PrintStream err) {
    Console console = System.console();
    if (console != null) {
      char[] a = console.readPassword("Password: ");
      char[] b = console.readPassword("Again: ");
      if (a == null || b == null || !Arrays.equals(a, b)) {
        err.println("The two entries differ");
        return null;
      }
      return a;
    }
    try {
      String line =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
      return line == null ? null : line.toCharArray();
    } catch (IOException e) {
      return null;
    }
  }
}
