package org.twiliocrm.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The console uses only documented endpoints: every {@code /api} path the page's module calls
 * (console.js, as packaged) is a path of /api/openapi.json (openapi/operator-api.json), so a page
 * that starts using a new endpoint fails here until the endpoint is documented.
 */
class ConsoleOpenApiTest {
  /** {@code api('/api/...'} or {@code api(`/api/...`}: the path template the page calls. */
  private static final Pattern CALL = Pattern.compile("api\\(([`'])(/api/[^`']*)\\1");

  @Test
  void everyApiPathTheConsoleCallsIsDocumented() throws IOException {
    String js = resource("console/console.js");
    List<String> called = new ArrayList<>();
    Matcher m = CALL.matcher(js);
    while (m.find()) {
      called.add(m.group(2));
    }
    // The pages' reads and actions: messages, approvals, dashboard, consent, failed, templates,
    // senders, the sandbox phone.
    assertThat(called).hasSizeGreaterThan(15);

    JsonNode doc = new ObjectMapper().readTree(resource("openapi/operator-api.json"));
    List<String> documented = new ArrayList<>();
    doc.get("paths").fieldNames().forEachRemaining(documented::add);

    TreeSet<String> missing = new TreeSet<>();
    for (String call : called) {
      List<String> segments = segments(call);
      boolean found =
          documented.stream().anyMatch(d -> matches(segments, List.of(d.substring(1).split("/"))));
      if (!found) {
        missing.add(call);
      }
    }
    assertThat(missing).as("console calls missing from /api/openapi.json").isEmpty();
    // The live updates are opened with EventSource, not api().
    assertThat(js).contains("new EventSource('/api/events')");
    assertThat(documented).contains("/api/events");
  }

  /**
   * A called path template as segments: the query string dropped ({@code ?...}, or a trailing
   * {@code ${q}} that holds one), each {@code ${...}} segment a wildcard ({@code *}).
   */
  static List<String> segments(String call) {
    String path = call;
    int q = path.indexOf('?');
    if (q >= 0) {
      path = path.substring(0, q);
    }
    path = path.replaceAll("(?<!/)\\$\\{[^}]*\\}$", "");
    List<String> out = new ArrayList<>();
    for (String s : path.substring(1).split("/")) {
      out.add(s.contains("${") ? "*" : s);
    }
    return out;
  }

  static boolean matches(List<String> called, List<String> documented) {
    if (called.size() != documented.size()) {
      return false;
    }
    for (int i = 0; i < called.size(); i++) {
      String c = called.get(i);
      String d = documented.get(i);
      if (!c.equals("*") && !d.startsWith("{") && !c.equals(d)) {
        return false;
      }
      if (c.equals("*") && !d.startsWith("{") && !isAction(d)) {
        return false;
      }
    }
    return true;
  }

  /** A fixed last segment the page fills from a variable: approve, reject, submit. */
  private static boolean isAction(String segment) {
    return List.of("approve", "reject", "submit").contains(segment);
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = ConsoleOpenApiTest.class.getClassLoader().getResourceAsStream(name)) {
      assertThat(in).as(name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
