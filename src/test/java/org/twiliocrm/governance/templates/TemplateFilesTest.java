package org.twiliocrm.governance.templates;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twiliocrm.app.ConnectorMain;
import org.twiliocrm.config.Finding;

/** The template file checks behind start-up, reload and {@code validate}: each with file:line. */
class TemplateFilesTest {
  @TempDir Path dir;

  TemplateFiles.Loaded load(String text) throws Exception {
    Files.writeString(dir.resolve("t.yaml"), text);
    return TemplateFiles.load(dir.toString(), "en");
  }

  static String problems(TemplateFiles.Loaded l) {
    return l.errorText();
  }

  Path file() {
    return dir.resolve("t.yaml");
  }

  @Test
  void theShippedTemplatesAreValidAndPackaged() {
    TemplateFiles.Loaded files = TemplateFiles.load("templates", "en");
    assertThat(files.errors()).isEmpty();
    assertThat(files.templates()).containsKeys("appointment-reminder", "payment-due");
    TemplateFiles.Loaded packaged = TemplateFiles.load("classpath:templates", "en");
    assertThat(packaged.errors()).isEmpty();
    assertThat(packaged.templates().keySet()).isEqualTo(files.templates().keySet());
    // A directory that does not exist falls back to the packaged copy, as routes do.
    assertThat(TemplateFiles.load(dir.resolve("nope").toString(), "en").templates())
        .containsKey("appointment-reminder");
  }

  @Test
  void unknownAndUnusedVariablesAreNamedWithFileAndLine() throws Exception {
    TemplateFiles.Loaded l =
        load(
            """
            templates:
              hi:
                purpose: transactional
                variables:
                  name: { max-length: 20 }
                  unused: { max-length: 5 }
                locales:
                  en:
                    sms: "Hi {{name}} on {{date}}"
            """);
    assertThat(l.ok()).isFalse();
    assertThat(l.templates()).isEmpty();
    assertThat(l.errors())
        .extracting(Finding::toString)
        .containsExactlyInAnyOrder(
            file()
                + ":9: template 'hi' locale 'en': sms uses {{date}}, which is not declared under variables",
            file() + ":6: template 'hi': variable 'unused' is declared but no form uses it");
  }

  @Test
  void aMissingDefaultLocaleIsAnError() throws Exception {
    TemplateFiles.Loaded l =
        load(
            """
            templates:
              hola:
                purpose: marketing
                variables:
                  name: { max-length: 20 }
                locales:
                  es:
                    sms: "Hola {{name}}"
            """);
    assertThat(l.errors())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.line()).isEqualTo(6);
              assertThat(f.problem()).contains("no variant for its default locale 'en'");
            });
    // declaring its own default locale fixes it
    TemplateFiles.Loaded fixed =
        load(
            """
            templates:
              hola:
                purpose: marketing
                default-locale: es
                variables:
                  name: { max-length: 20 }
                locales:
                  es:
                    sms: "Hola {{name}}"
            """);
    assertThat(fixed.errors()).isEmpty();
  }

  @Test
  void theWorstCaseSegmentCountComparesGsm7WithUcs2() throws Exception {
    String body = "x".repeat(100) + " {{name}}"; // 101 fixed GSM-7 characters + up to 60
    // All GSM-7: 161 septets -> 2 segments. A name that may carry any character: UCS-2, 161 -> 3.
    TemplateFiles.Worst gsm =
        TemplateFiles.worstCase(
            body, Map.of("name", new MessageTemplate.Variable("name", 60, true)));
    assertThat(gsm.encoding().name()).isEqualTo("GSM7");
    assertThat(gsm.segments()).isEqualTo(2);
    TemplateFiles.Worst any =
        TemplateFiles.worstCase(
            body, Map.of("name", new MessageTemplate.Variable("name", 60, false)));
    assertThat(any.encoding().name()).isEqualTo("UCS2");
    assertThat(any.segments()).isEqualTo(3);
    assertThat(any.gsm7Segments()).isEqualTo(2);

    TemplateFiles.Loaded l =
        load(
            "templates:\n"
                + "  long:\n"
                + "    purpose: transactional\n"
                + "    max-segments: 2\n"
                + "    variables:\n"
                + "      name: { max-length: 60 }\n"
                + "    locales:\n"
                + "      en:\n"
                + "        sms: \""
                + body
                + "\"\n");
    assertThat(l.errors())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.line()).isEqualTo(9);
              assertThat(f.problem())
                  .contains("can take 3 UCS2 segments")
                  .contains("GSM-7 2, UCS-2 3")
                  .contains("max-segments is 2");
            });
  }

  @Test
  void aYamlSyntaxErrorHasItsLine() throws Exception {
    TemplateFiles.Loaded l = load("templates:\n  a:\n    purpose: [otp\n    locales: x\n");
    assertThat(l.errors())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.file()).isEqualTo(file());
              assertThat(f.line()).isGreaterThan(2);
              assertThat(f.problem()).startsWith("YAML syntax:");
            });
  }

  @Test
  void theVersionIsTheHashOfNormalizedContent() throws Exception {
    String a =
        load("""
                templates:
                  v:
                    purpose: otp
                    variables:
                      code: { max-length: 6, gsm7: true }
                    locales:
                      en:
                        sms: "Your code is {{code}}"
                """)
            .templates()
            .get("v")
            .version();
    // Comments, quoting, key order and flow style do not change what is sent: same version.
    String b =
        load("""
                # reformatted
                templates:
                  v:
                    locales: { en: { sms: 'Your code is {{code}}' } }
                    variables:
                      code:
                        gsm7: true
                        max-length: 6
                    purpose: otp
                """)
            .templates()
            .get("v")
            .version();
    String c =
        load("""
                templates:
                  v:
                    purpose: otp
                    variables:
                      code: { max-length: 6, gsm7: true }
                    locales:
                      en:
                        sms: "Your code: {{code}}"
                """)
            .templates()
            .get("v")
            .version();
    assertThat(a).hasSize(64).isEqualTo(b).isNotEqualTo(c);
    MessageTemplate t =
        MessageTemplate.fromNormalized(
            load("templates:\n  v:\n    purpose: otp\n    variables:\n      code: { max-length: 6 }\n"
                    + "    locales:\n      en:\n        sms: \"Code {{code}}\"\n"
                    + "        whatsapp: { content-sid: HX"
                    + "a".repeat(32)
                    + ", variables: { '1': code } }\n"
                    + "      pt-BR:\n        sms: \"Código {{code}}\"\n")
                .templates()
                .get("v")
                .normalized());
    assertThat(t.version()).isEqualTo(t.version());
    assertThat(t.forms("pt-BR").sms()).isEqualTo("Código {{code}}");
    assertThat(t.forms("pt").sms()).isEqualTo("Code {{code}}");
    assertThat(t.forms(null).whatsappVariables()).containsEntry("1", "code");
  }

  @Test
  void validateCommandPrintsTemplateErrorsWithFileAndLineAndExitsOne() throws Exception {
    Files.writeString(
        dir.resolve("bad.yaml"),
        """
        templates:
          bad:
            purpose: spam
            variables:
              name: { max-length: 20 }
            locales:
              en:
                sms: "Hi {{name}}"
        """);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit =
        org.twiliocrm.app.RouteValidator.run(
            new String[] {"--templates", dir.toString(), "routes/connector-info.camel.yaml"},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(exit).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains(
            "ERROR " + dir.resolve("bad.yaml") + ":3: template 'bad': unknown purpose 'spam'");
    assertThat(List.of(ConnectorMain.class)).isNotEmpty();
  }

  @Test
  void packagedTemplatesAreListedFromTheJarOnceAndReadTheSameEveryTime() throws Exception {
    // A jar like the packaged one: the shipped templates plus unrelated entries around them.
    Path jar = dir.resolve("connector.jar");
    List<Path> shipped;
    try (var files = Files.list(Path.of("templates"))) {
      shipped = files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
    }
    try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar))) {
      out.putNextEntry(new java.util.jar.JarEntry("routes/x.camel.yaml"));
      out.write("- route: {}".getBytes(StandardCharsets.UTF_8));
      // Maven writes directory entries; the class loader finds "templates/" through one.
      out.putNextEntry(new java.util.jar.JarEntry("templates/"));
      for (Path f : shipped) {
        out.putNextEntry(new java.util.jar.JarEntry("templates/" + f.getFileName()));
        out.write(Files.readAllBytes(f));
      }
      out.putNextEntry(new java.util.jar.JarEntry("templates/nested/ignored.yaml"));
      out.write("not: a template".getBytes(StandardCharsets.UTF_8));
    }
    try (var cl = new java.net.URLClassLoader(new java.net.URL[] {jar.toUri().toURL()}, null)) {
      int before = TemplateFiles.JAR_LISTINGS.get();
      List<TemplateFiles.Source> first = new java.util.ArrayList<>();
      TemplateFiles.readClasspath(cl, "templates", first);
      List<TemplateFiles.Source> second = new java.util.ArrayList<>();
      TemplateFiles.readClasspath(cl, "templates", second);

      assertThat(first).hasSize(shipped.size());
      for (int i = 0; i < shipped.size(); i++) {
        assertThat(first.get(i).path().toString())
            .isEqualTo("classpath:templates/" + shipped.get(i).getFileName());
        assertThat(first.get(i).text()).isEqualTo(Files.readString(shipped.get(i)));
      }
      assertThat(second).isEqualTo(first);
      assertThat(TemplateFiles.JAR_LISTINGS.get() - before).isEqualTo(1);
      TemplateFiles.Loaded loaded = TemplateFiles.check(first, "en", "packaged templates");
      assertThat(loaded.errors()).isEmpty();
      assertThat(loaded.templates()).containsKeys("appointment-reminder", "payment-due");
    }
  }
}
