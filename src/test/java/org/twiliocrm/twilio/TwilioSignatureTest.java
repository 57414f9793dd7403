package org.twiliocrm.twilio;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.twilio.security.RequestValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pins {@link TwilioSignature} to the golden vectors in src/test/resources/twilio (provenance in
 * the README beside them).
 */
class TwilioSignatureTest {

  private static final Path VECTORS = Path.of("src/test/resources/twilio/signature-vectors.json");

  static JsonNode root() throws IOException {
    return new ObjectMapper().readTree(Files.readString(VECTORS));
  }

  static Stream<Arguments> vectors() throws IOException {
    List<Arguments> out = new ArrayList<>();
    for (JsonNode v : root().get("vectors")) {
      Map<String, List<String>> params = new LinkedHashMap<>();
      for (JsonNode pair : v.get("params")) {
        params
            .computeIfAbsent(pair.get(0).asText(), k -> new ArrayList<>())
            .add(pair.get(1).asText());
      }
      out.add(
          Arguments.of(
              v.get("name").asText(),
              v.get("authToken").asText(),
              v.get("url").asText(),
              params,
              v.get("signature").asText()));
    }
    return out.stream();
  }

  @Test
  void allEighteenVectorsArePresent() throws IOException {
    assertThat(root().get("vectors")).hasSize(18);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void signerReproducesVector(
      String name, String token, String url, Map<String, List<String>> params, String expected) {
    assertThat(new TwilioSignature(token).sign(url, params)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void validatorAcceptsVectorAndRejectsTampering(
      String name, String token, String url, Map<String, List<String>> params, String expected) {
    TwilioSignature sig = new TwilioSignature(token);
    assertThat(sig.validate(url, params, expected)).isTrue();
    assertThat(new TwilioSignature(token + "x").validate(url, params, expected)).isFalse();
    Map<String, List<String>> tampered = new HashMap<>(params);
    tampered.put("Injected", List.of("1"));
    assertThat(sig.validate(url, tampered, expected)).isFalse();
    assertThat(sig.validate(url + "&z=1", params, expected)).isFalse();
    assertThat(sig.validate(url, params, null)).isFalse();
  }

  /**
   * The signer reads a map already in natural order (the webhook edge's TreeMap) as it is, and
   * copies any other: a map sorted another way (case-insensitively) must still sign in ordinal
   * order, and both give the vector's signature.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void sortedMapsSignAsTheVectorWhateverTheirOrder(
      String name, String token, String url, Map<String, List<String>> params, String expected) {
    TwilioSignature sig = new TwilioSignature(token);
    assertThat(sig.sign(url, new java.util.TreeMap<>(params))).isEqualTo(expected);
    Map<String, List<String>> reversed =
        new java.util.TreeMap<>(java.util.Comparator.<String>reverseOrder());
    reversed.putAll(params);
    assertThat(sig.sign(url, reversed)).isEqualTo(expected);
    assertThat(sig.validate(url, reversed, expected)).isTrue();
  }

  /** One instance signs from many threads at once (each signature works on its own Mac). */
  @Test
  void oneInstanceSignsFromManyThreadsAtOnce() throws Exception {
    Arguments first = vectors().findFirst().orElseThrow();
    String token = (String) first.get()[1];
    String url = (String) first.get()[2];
    @SuppressWarnings("unchecked")
    Map<String, List<String>> params = (Map<String, List<String>>) first.get()[3];
    String expected = (String) first.get()[4];
    TwilioSignature sig = new TwilioSignature(token);
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<Boolean>> results = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        results.add(
            pool.submit(
                () -> {
                  for (int j = 0; j < 200; j++) {
                    if (!sig.sign(url, params).equals(expected)
                        || !sig.validate(url, params, expected)) {
                      return false;
                    }
                  }
                  return true;
                }));
      }
      for (java.util.concurrent.Future<Boolean> r : results) {
        assertThat(r.get(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void acceptsEitherPortFormForTheSameRequest() {
    TwilioSignature sig = new TwilioSignature("12345");
    Map<String, List<String>> p = Map.of("A", List.of("1"));
    String withoutPort = sig.sign("https://mycompany.com/myapp.php?foo=1", p);
    String withPort = sig.sign("https://mycompany.com:443/myapp.php?foo=1", p);
    assertThat(withoutPort).isNotEqualTo(withPort);
    assertThat(sig.validate("https://mycompany.com:443/myapp.php?foo=1", p, withoutPort)).isTrue();
    assertThat(sig.validate("https://mycompany.com/myapp.php?foo=1", p, withPort)).isTrue();
    // A non-default port is never dropped or swapped.
    assertThat(sig.validate("https://mycompany.com:8443/myapp.php?foo=1", p, withoutPort))
        .isFalse();
  }

  @Test
  void portHelpersKeepEverythingElse() {
    assertThat(TwilioSignature.withDefaultPort("http://h.example/a?b=c"))
        .isEqualTo("http://h.example:80/a?b=c");
    assertThat(TwilioSignature.withoutDefaultPort("https://u:p@h.example:443?x"))
        .isEqualTo("https://u:p@h.example?x");
    assertThat(TwilioSignature.withoutDefaultPort("http://h.example:8080/a"))
        .isEqualTo("http://h.example:8080/a");
    assertThat(TwilioSignature.withDefaultPort("ftp://h/a")).isEqualTo("ftp://h/a");
  }

  @Test
  void jsonBodyIsCheckedThroughBodySha256() throws IOException {
    JsonNode root = root();
    String body = root.get("body").asText();
    assertThat(TwilioSignature.bodySha256(body)).isEqualTo(root.get("bodySHA256").asText());
    TwilioSignature sig = new TwilioSignature("12345");
    String url =
        "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=" + root.get("bodySHA256").asText();
    assertThat(sig.validateJson(url, body, "a9nBmqA0ju/hNViExpshrM61xv4=")).isTrue();
    assertThat(sig.validateJson(url, body + " ", "a9nBmqA0ju/hNViExpshrM61xv4=")).isFalse();
    assertThat(sig.validateJson(url, body, "y77kIzt2vzLz71DgmJGsen2scGs=")).isFalse();
    assertThat(sig.validateJson("https://mycompany.com/myapp.php", body, "x")).isFalse();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void agreesWithTwilioJavaRequestValidator(
      String name, String token, String url, Map<String, List<String>> params, String expected) {
    // twilio-java takes a Map<String,String>, so it cannot express repeated names (the "dup" case).
    if (params.values().stream().anyMatch(l -> l.size() > 1)) {
      return;
    }
    Map<String, String> single = new HashMap<>();
    params.forEach((k, v) -> single.put(k, v.get(0)));
    String ours = new TwilioSignature(token).signSingle(url, single);
    assertThat(new RequestValidator(token).validate(url, single, ours)).isTrue();
  }

  // HMAC-SHA256 (Webhooks Rules' SharedKey mode). Computed independently of this code with
  //   printf '%s' "$URL$SORTED_PARAMS" | openssl dgst -sha256 -hmac "$KEY" -binary | base64
  // where the signed text is the URL then each sorted name and value, as for HMAC-SHA1; the same
  // command with -sha1 and key 12345 reproduces Twilio's published GvWf1cFY/Q7PnoempGyD5oXAezc=.
  private static final Map<String, String> DOC_PARAMS =
      Map.of(
          "CallSid", "CA1234567890ABCDE",
          "Caller", "+14158675310",
          "Digits", "1234",
          "From", "+14158675310",
          "To", "+18005551212");

  @Test
  void hmacSha256SignsTheSameTextAsSha1() {
    TwilioSignature sha256 =
        new TwilioSignature("shared-key-secret", TwilioSignature.Algorithm.HMAC_SHA256);
    String url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    assertThat(sha256.signSingle(url, DOC_PARAMS))
        .isEqualTo("ya/v4jc3oAtNFDX8hRf7j8TrCsQwG1Md/5mX8ogshlo=");
    assertThat(
            sha256.validate(url, multi(DOC_PARAMS), "ya/v4jc3oAtNFDX8hRf7j8TrCsQwG1Md/5mX8ogshlo="))
        .isTrue();
    // negative: the SHA-1 signature of the same text, another key, an altered parameter
    assertThat(sha256.validate(url, multi(DOC_PARAMS), "GvWf1cFY/Q7PnoempGyD5oXAezc=")).isFalse();
    assertThat(
            new TwilioSignature("other-secret", TwilioSignature.Algorithm.HMAC_SHA256)
                .validate(url, multi(DOC_PARAMS), "ya/v4jc3oAtNFDX8hRf7j8TrCsQwG1Md/5mX8ogshlo="))
        .isFalse();
    Map<String, String> altered = new HashMap<>(DOC_PARAMS);
    altered.put("Digits", "1235");
    assertThat(sha256.validate(url, multi(altered), "ya/v4jc3oAtNFDX8hRf7j8TrCsQwG1Md/5mX8ogshlo="))
        .isFalse();
    // and the SHA-1 mode still gives Twilio's published value for the same input
    assertThat(new TwilioSignature("12345").signSingle(url, DOC_PARAMS))
        .isEqualTo("GvWf1cFY/Q7PnoempGyD5oXAezc=");
  }

  @Test
  void hmacSha256OverAUrlWithItsFragment() {
    // openssl as above over
    // https://hooks.example.com/webhooks/twilio/message-status#rc=3&rp=all + sorted params
    Map<String, String> p =
        Map.of(
            "AccountSid",
            "AC00000000000000000000000000000000",
            "MessageSid",
            "SM1",
            "MessageStatus",
            "delivered");
    TwilioSignature s =
        new TwilioSignature("shared-key-secret", TwilioSignature.Algorithm.HMAC_SHA256);
    String url = "https://hooks.example.com/webhooks/twilio/message-status";
    String expected = "FXdq0crzmjgJaDfMN/azcOpDbw7eSP2RQDI/6SdHYyg=";
    assertThat(s.validate(url + "#rc=3&rp=all", multi(p), expected)).isTrue();
    assertThat(s.validate(url, multi(p), expected)).isFalse();
  }

  @Test
  void settingsHeaderParses() {
    TwilioSignature.Settings a = TwilioSignature.Settings.parse("key=KS123, algorithm=HMAC_SHA256");
    assertThat(a.key()).isEqualTo("KS123");
    assertThat(TwilioSignature.Algorithm.named(a.algorithm()))
        .isEqualTo(TwilioSignature.Algorithm.HMAC_SHA256);
    assertThat(TwilioSignature.Algorithm.named("HMAC_MD5")).isNull();
    assertThat(TwilioSignature.Settings.parse("algorithm=HMAC_SHA256").key()).isNull();
  }

  /** A form whose names are not repeated, as the multi-valued map the gate passes. */
  private static Map<String, List<String>> multi(Map<String, String> single) {
    Map<String, List<String>> out = new java.util.TreeMap<>();
    single.forEach((k, v) -> out.put(k, List.of(v)));
    return out;
  }
}
