package org.twiliocrm.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/** The operators file: fixed known vectors, a negative beside each positive, clear errors. */
class OperatorCredentialsTest {
  @TempDir Path dir;

  // jBCrypt's published test vectors (password, hash).
  private static final String BCRYPT_EMPTY =
      "$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.";
  private static final String BCRYPT_ABC =
      "$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i";

  private Path write(String name, String yaml) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, yaml, StandardCharsets.UTF_8);
    return f;
  }

  @Test
  void tokenHashIsSha256Hex() {
    assertThat(OperatorCredentials.hashToken("abc"))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  @Test
  void knownBcryptVectorsCheckAndWrongPasswordsDoNot() throws Exception {
    Path f =
        write(
            "ops.yaml",
            "users:\n"
                + "  - {name: empty, role: viewer, bcrypt: \""
                + BCRYPT_EMPTY
                + "\"}\n"
                + "  - {name: abc, role: approver, bcrypt: \""
                + BCRYPT_ABC
                + "\"}\n");
    OperatorCredentials c = OperatorCredentials.load(f);
    assertThat(c.byPassword("empty", "")).contains(new Operator("empty", Role.VIEWER, "password"));
    assertThat(c.byPassword("abc", "abc")).contains(new Operator("abc", Role.APPROVER, "password"));
    assertThat(c.byPassword("abc", "abd")).isEmpty();
    assertThat(c.byPassword("abc", "")).isEmpty();
    assertThat(c.byPassword("empty", "abc")).isEmpty();
    assertThat(c.byPassword("nobody", "abc")).isEmpty();
    assertThat(c.byPassword(null, null)).isEmpty();
  }

  @Test
  void mintedTokensAndFreshHashesRoundTrip() throws Exception {
    String token = OperatorCredentials.mintToken();
    assertThat(token).startsWith("tcop_").hasSize(5 + 43);
    assertThat(OperatorCredentials.mintToken()).isNotEqualTo(token);
    String hash = OperatorCredentials.hashPassword("correct horse battery");
    Path f =
        write(
            "ops.yaml",
            "users:\n  - name: alice\n    role: admin\n    bcrypt: \""
                + hash
                + "\"\ntokens:\n  - name: bot\n    role: viewer\n    sha256: \""
                + OperatorCredentials.hashToken(token).toUpperCase()
                + "\"\n");
    OperatorCredentials c = OperatorCredentials.load(f);
    assertThat(c.size()).isEqualTo(2);
    assertThat(c.byToken(token)).contains(new Operator("bot", Role.VIEWER, "token"));
    assertThat(c.byToken(token + "x")).isEmpty();
    assertThat(c.byToken("")).isEmpty();
    assertThat(c.byPassword("alice", "correct horse battery")).isPresent();
    assertThat(c.byPassword("alice", "correct horse batter")).isEmpty();
  }

  @Test
  void aMountedSecretDirectoryIsReadSkippingKubernetesOwnEntries() throws Exception {
    write(
        "a.yaml",
        "tokens:\n  - {name: one, role: viewer, sha256: \""
            + OperatorCredentials.hashToken("t1")
            + "\"}\n");
    write(
        "b.yml",
        "tokens:\n  - {name: two, role: admin, sha256: \""
            + OperatorCredentials.hashToken("t2")
            + "\"}\n");
    Files.createDirectories(dir.resolve("..data"));
    write(".hidden.yaml", "not: [valid");
    write("README", "ignored");
    OperatorCredentials c = OperatorCredentials.load(dir);
    assertThat(c.byToken("t1")).isPresent();
    assertThat(c.byToken("t2").orElseThrow().role()).isEqualTo(Role.ADMIN);
  }

  @Test
  void theEmptyFolderOfAMissingOptionalSecretMeansNoOperatorsButStrayFilesStillStop()
      throws Exception {
    // The kubelet mounts an optional Secret that does not exist as a folder with nothing in it
    // but its own dot entries: the connector starts, and every operator endpoint answers 401.
    Path version = Files.createDirectories(dir.resolve("..2026_12_02_10_00_00.1"));
    Files.createSymbolicLink(dir.resolve("..data"), version.getFileName());
    OperatorCredentials none = OperatorCredentials.load(dir);
    assertThat(none.size()).isZero();
    assertThat(none.byToken("anything")).isEmpty();
    // A folder with files but no operators file is a mistake (a misnamed key), not "none".
    write("operators.txt", "users: []");
    assertThatThrownBy(() -> OperatorCredentials.load(dir))
        .hasMessageContaining("no *.yaml file with operators in it");
  }

  @Test
  void theShippedSecretExampleIsAValidOperatorsFile() throws Exception {
    Map<?, ?> secret =
        (Map<?, ?>)
            new Load(LoadSettings.builder().build())
                .loadFromString(
                    Files.readString(Path.of("deploy/kubernetes/operators-secret.example.yaml")));
    String yaml = (String) ((Map<?, ?>) secret.get("stringData")).get("operators.yaml");
    OperatorCredentials c = OperatorCredentials.load(write("operators.yaml", yaml));
    assertThat(c.size()).isEqualTo(3);
    assertThat(c.hasUser("alice")).isTrue();
  }

  @Test
  void mistakesNameTheFileAndTheEntry() throws Exception {
    String h = "\"" + OperatorCredentials.hashToken("x") + "\"";
    assertError(
        "tokens:\n  - {name: a, role: superuser, sha256: " + h + "}\n",
        "tokens[a]",
        "'role' must be viewer, approver or admin");
    assertError("tokens:\n  - {name: a, role: viewer, sha256: abc}\n", "tokens[a]", "SHA-256");
    assertError(
        "users:\n  - {name: a, role: viewer, bcrypt: plaintext}\n", "users[a]", "bcrypt hash");
    assertError(
        "users:\n  - {name: a, role: viewer, password: secret}\n",
        "users[a]",
        "unknown field 'password'");
    assertError(
        "tokens:\n  - {name: a, role: viewer, sha256: "
            + h
            + "}\n  - {name: a, role: admin, sha256: "
            + h
            + "}\n",
        "tokens[a]",
        "already used");
    assertError(
        "tokens:\n  - {name: 'bad name', role: viewer, sha256: " + h + "}\n",
        "tokens[bad name]",
        "'name'");
    assertError("admins: []\n", "ops.yaml", "unknown key 'admins'");
    assertError("users: [\n", "ops.yaml", "not valid YAML");
    assertError("users: alice\n", "ops.yaml", "must be a list");
    assertThatThrownBy(() -> OperatorCredentials.load(dir.resolve("missing.yaml")))
        .hasMessageContaining("missing.yaml: no such file or directory");
  }

  @Test
  void aSecretValueNeverAppearsInAnError() throws Exception {
    Path f = write("ops.yaml", "users:\n  - {name: a, role: viewer, bcrypt: hunter2}\n");
    assertThatThrownBy(() -> OperatorCredentials.load(f)).message().doesNotContain("hunter2");
  }

  private void assertError(String yaml, String where, String what) throws Exception {
    Path f = write("ops.yaml", yaml);
    assertThatThrownBy(() -> OperatorCredentials.load(f))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(f.toString())
        .hasMessageContaining(where)
        .hasMessageContaining(what);
  }
}
