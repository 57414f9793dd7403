package org.twiliocrm.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/** The connector's shipped settings as tests read them, and the key=value form child JVMs take. */
public final class TestSettings {
  private TestSettings() {}

  /** {@code application.properties} from the class path, as shipped (blank values included). */
  public static Map<String, String> applicationProperties() {
    Properties p = new Properties();
    try (InputStream in =
        TestSettings.class.getClassLoader().getResourceAsStream("application.properties")) {
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> m = new HashMap<>();
    p.forEach((k, v) -> m.put(k.toString(), v.toString()));
    return m;
  }

  /** {@code key=value} arguments from index {@code from} on (a child JVM's settings). */
  public static Map<String, String> keyValues(String[] args, int from) {
    Map<String, String> m = new HashMap<>();
    for (int i = from; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      m.put(args[i].substring(0, eq), args[i].substring(eq + 1));
    }
    return m;
  }
}
