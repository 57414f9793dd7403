package org.twiliocrm.operator;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.springframework.security.crypto.bcrypt.BCrypt;

/**
 * The operators allowed on the connector's HTTP port, read from a mounted Kubernetes Secret (see
 * deploy/kubernetes/operators-secret.example.yaml): users with bcrypt password hashes and API
 * tokens stored as SHA-256 hashes, each with a role.
 *
 * <pre>
 * users:
 *   - name: alice
 *     role: approver
 *     bcrypt: "$2a$12$..."        # java -jar connector.jar operator hash-password alice approver
 * tokens:
 *   - name: prometheus
 *     role: viewer
 *     sha256: "9f86d0..."         # java -jar connector.jar operator mint-token prometheus viewer
 * </pre>
 *
 * Tokens are minted with 256 random bits, so one SHA-256 is enough to store them (a slow hash adds
 * nothing against guessing 2^256 values and would cost every request); passwords are chosen by
 * people, so they get bcrypt. Nothing here ever holds or logs a clear password or token beyond the
 * call that checks it.
 */
public final class OperatorCredentials {
  /** The prefix of minted tokens: recognisable in a leaked-secret scan, never a password. */
  public static final String TOKEN_PREFIX = "tcop_";

  static final int BCRYPT_COST = 12;
  private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$\\d{2}\\$[./A-Za-z0-9]{53}");
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,99}");
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A user and its bcrypt hash. */
  record User(String name, Role role, String bcrypt) {}

  private final Map<String, User> users;
  private final Map<String, Operator> tokensByHash;
  private final String source;

  private OperatorCredentials(Map<String, User> users, Map<String, Operator> tokens, String src) {
    this.users = Map.copyOf(users);
    this.tokensByHash = Map.copyOf(tokens);
    this.source = src;
  }

  /** No operator at all: every protected endpoint answers 401. */
  public static OperatorCredentials none() {
    return new OperatorCredentials(Map.of(), Map.of(), "none");
  }

  /**
   * Sandbox mode without credentials: one admin who can use a token (scripts) and sign in to the
   * console with a password, and a second console user, an approver, so that four eyes can be tried
   * on one machine (whoever caused a hold cannot approve it); all generated for this run and
   * printed in the banner. bcrypt cost 10 rather than 12: the hashes are made at every start and
   * the passwords are random, not a person's.
   */
  public static OperatorCredentials devAccess(
      String name, String token, String password, String approver, String approverPassword) {
    return new OperatorCredentials(
        Map.of(
            name,
            new User(name, Role.ADMIN, BCrypt.hashpw(password, BCrypt.gensalt(10, RANDOM))),
            approver,
            new User(
                approver,
                Role.APPROVER,
                BCrypt.hashpw(approverPassword, BCrypt.gensalt(10, RANDOM)))),
        Map.of(hashToken(token), new Operator(name, Role.ADMIN, "token")),
        "generated");
  }

  /** A random password for the sandbox's generated console user: 128 bits, base64url. */
  public static String mintPassword() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /**
   * Reads a credentials file, or every {@code *.yaml}/{@code *.yml} file in a directory (a mounted
   * Secret: Kubernetes' own {@code ..data} entries are skipped). A mistake throws {@link
   * IllegalArgumentException} naming the file and the entry.
   */
  public static OperatorCredentials load(Path path) {
    List<Path> files = new ArrayList<>();
    if (Files.isDirectory(path)) {
      List<Path> entries;
      try (Stream<Path> s = Files.list(path)) {
        entries = s.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
      } catch (IOException e) {
        throw new IllegalArgumentException(path + ": cannot list the directory: " + e.getMessage());
      }
      if (entries.isEmpty()) {
        // What the kubelet mounts for an optional Secret that does not exist (only its own dot
        // entries, if any): no operators, so every operator endpoint answers 401.
        return new OperatorCredentials(Map.of(), Map.of(), path.toString());
      }
      entries.stream()
          .filter(
              p -> {
                String n = p.getFileName().toString();
                return (n.endsWith(".yaml") || n.endsWith(".yml")) && Files.isRegularFile(p);
              })
          .forEach(files::add);
      if (files.isEmpty()) {
        throw new IllegalArgumentException(path + ": no *.yaml file with operators in it");
      }
    } else if (Files.isRegularFile(path)) {
      files.add(path);
    } else {
      throw new IllegalArgumentException(path + ": no such file or directory");
    }
    Map<String, User> users = new LinkedHashMap<>();
    Map<String, Operator> tokens = new LinkedHashMap<>();
    Map<String, String> names = new LinkedHashMap<>();
    for (Path f : files) {
      parse(f, users, tokens, names);
    }
    return new OperatorCredentials(users, tokens, path.toString());
  }

  private static void parse(
      Path file, Map<String, User> users, Map<String, Operator> tokens, Map<String, String> names) {
    Object doc;
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      doc =
          new Load(LoadSettings.builder().setAllowDuplicateKeys(false).build())
              .loadFromString(text);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage());
    } catch (YamlEngineException e) {
      // The parser's message names line and column; it never quotes a hash back at length.
      throw new IllegalArgumentException(file + ": not valid YAML: " + firstLine(e.getMessage()));
    }
    if (doc == null) {
      return;
    }
    if (!(doc instanceof Map<?, ?> top)) {
      throw new IllegalArgumentException(file + ": expected 'users:' and/or 'tokens:' lists");
    }
    for (Object k : top.keySet()) {
      if (!"users".equals(k) && !"tokens".equals(k)) {
        throw new IllegalArgumentException(
            file + ": unknown key '" + k + "' (expected users, tokens)");
      }
    }
    for (Map<?, ?> e : entries(file, top, "users")) {
      String where = file + ": users[" + text(e.get("name")) + "]";
      String name = name(where, e);
      Role role = role(where, e);
      only(where, e, "name", "role", "bcrypt");
      String hash = text(e.get("bcrypt"));
      if (hash == null || !BCRYPT.matcher(hash).matches()) {
        throw new IllegalArgumentException(
            where
                + ": 'bcrypt' must be a bcrypt hash ($2a$/$2b$/$2y$, 60 characters); make one with"
                + " 'java -jar twilio-crm-connector.jar operator hash-password'");
      }
      claim(names, where, name);
      users.put(name, new User(name, role, hash));
    }
    for (Map<?, ?> e : entries(file, top, "tokens")) {
      String where = file + ": tokens[" + text(e.get("name")) + "]";
      String name = name(where, e);
      Role role = role(where, e);
      only(where, e, "name", "role", "sha256");
      String hash = text(e.get("sha256"));
      hash = hash == null ? null : hash.toLowerCase(Locale.ROOT);
      if (hash == null || !SHA256_HEX.matcher(hash).matches()) {
        throw new IllegalArgumentException(
            where
                + ": 'sha256' must be the token's SHA-256 in hex (64 characters); mint a token"
                + " with 'java -jar twilio-crm-connector.jar operator mint-token'");
      }
      claim(names, where, name);
      tokens.put(hash, new Operator(name, role, "token"));
    }
  }

  private static List<Map<?, ?>> entries(Path file, Map<?, ?> top, String key) {
    Object v = top.get(key);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof List<?> list)) {
      throw new IllegalArgumentException(file + ": '" + key + "' must be a list");
    }
    List<Map<?, ?>> out = new ArrayList<>();
    for (Object o : list) {
      if (!(o instanceof Map<?, ?> m)) {
        throw new IllegalArgumentException(
            file + ": each entry of '" + key + "' must have name, role and a hash");
      }
      out.add(m);
    }
    return out;
  }

  private static String name(String where, Map<?, ?> e) {
    String name = text(e.get("name"));
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          where + ": 'name' must be 1-100 letters, digits, '.', '_', '@' or '-'");
    }
    return name;
  }

  private static Role role(String where, Map<?, ?> e) {
    Role role = Role.parse(text(e.get("role")));
    if (role == null) {
      throw new IllegalArgumentException(where + ": 'role' must be viewer, approver or admin");
    }
    return role;
  }

  private static void only(String where, Map<?, ?> e, String... allowed) {
    for (Object k : e.keySet()) {
      if (!List.of(allowed).contains(String.valueOf(k))) {
        throw new IllegalArgumentException(
            where + ": unknown field '" + k + "' (expected " + String.join(", ", allowed) + ")");
      }
    }
  }

  private static void claim(Map<String, String> names, String where, String name) {
    if (names.putIfAbsent(name, where) != null) {
      throw new IllegalArgumentException(
          where + ": the name '" + name + "' is already used by " + names.get(name));
    }
  }

  private static String text(Object o) {
    return o == null ? null : String.valueOf(o).trim();
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).trim();
  }

  /** Where these credentials came from (a path, "generated" or "none"): safe to log. */
  public String source() {
    return source;
  }

  public int size() {
    return users.size() + tokensByHash.size();
  }

  /** Whether checking this user's password would run bcrypt (slow: keep it off the event loop). */
  public boolean hasUser(String name) {
    return users.containsKey(name);
  }

  /** The operator a Bearer token belongs to. */
  public Optional<Operator> byToken(String token) {
    if (token == null || token.isEmpty()) {
      return Optional.empty();
    }
    return Optional.ofNullable(tokensByHash.get(hashToken(token)));
  }

  /**
   * The operator with this name and password. Unknown names still pay for one bcrypt check, so
   * timing does not tell which names exist. Slow by design (bcrypt): call it off the event loop.
   */
  public Optional<Operator> byPassword(String name, String password) {
    User u = name == null ? null : users.get(name);
    String hash = u != null ? u.bcrypt() : DUMMY_HASH;
    boolean ok;
    try {
      ok = BCrypt.checkpw(password == null ? "" : password, hash);
    } catch (IllegalArgumentException e) {
      ok = false;
    }
    return ok && u != null
        ? Optional.of(new Operator(u.name(), u.role(), "password"))
        : Optional.empty();
  }

  private static final String DUMMY_HASH =
      BCrypt.hashpw("not-a-password", BCrypt.gensalt(BCRYPT_COST));

  /** A bcrypt hash of {@code password} for the credentials file. */
  public static String hashPassword(String password) {
    return BCrypt.hashpw(password, BCrypt.gensalt(BCRYPT_COST, RANDOM));
  }

  /** A new API token: {@value #TOKEN_PREFIX} and 256 random bits, base64url. */
  public static String mintToken() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** The SHA-256 of a token in lower-case hex, as the credentials file stores it. */
  public static String hashToken(String token) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JRE", e);
    }
  }
}
