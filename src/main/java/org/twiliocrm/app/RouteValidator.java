package org.twiliocrm.app;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.camel.FailedToCreateRouteException;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.twiliocrm.config.ConfigSource;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.config.Finding;
import org.twiliocrm.db.Database;
import org.twiliocrm.dsl.KameletConventions;
import org.twiliocrm.dsl.WritebackMappings;
import org.twiliocrm.dsl.YamlSchemas;
import org.twiliocrm.governance.GovernanceSettings;
import org.twiliocrm.governance.PolicyException;
import org.twiliocrm.governance.PolicyLoader;
import org.twiliocrm.outbound.OutboxSettings;
import org.twiliocrm.outbound.Templates;

/**
 * Checks YAML routes and kamelets the way the connector would load them, without starting any
 * consumer: YAML syntax, the Camel YAML DSL, endpoint URIs and options, property placeholders,
 * kamelet references and the kamelet conventions. Integration engineers run it in their own CI
 * before deploying an edited route.
 */
public final class RouteValidator {
  /** connector.routes.location may name several folders (comma-separated); each is checked. */
  private final List<Path> routesDirs;

  private final Path kameletsDir;
  private final ConfigSource config;
  private org.twiliocrm.sandbox.salesforce.SalesforceSandbox salesforce;
  private String templatesLocation;

  /** Where template files are checked; routes are built against them when they are valid. */
  private String routeTemplates;

  private final List<String> notes = new ArrayList<>();

  public RouteValidator(Path routesDir, Path kameletsDir, ConfigSource config) {
    this(List.of(routesDir), kameletsDir, config);
  }

  /** Routes from several folders, as a comma-separated connector.routes.location names them. */
  public RouteValidator(List<Path> routesDirs, Path kameletsDir, ConfigSource config) {
    this.routesDirs = List.copyOf(routesDirs);
    this.kameletsDir = kameletsDir;
    this.config = config;
    this.templatesLocation =
        org.twiliocrm.outbound.OutboxSettings.TEMPLATES_LOCATION.read(
            new org.twiliocrm.config.Settings(config::get));
    this.routeTemplates = templatesLocation;
  }

  /** Checks this template location instead of outbox.templates.location. */
  public RouteValidator templates(String location) {
    this.templatesLocation = location;
    this.routeTemplates = location;
    return this;
  }

  /** Informational lines of the last run (each template SMS form's worst-case segment count). */
  public List<String> notes() {
    return notes;
  }

  /**
   * The template files: YAML, shape, variables, default locale and worst-case segment counts, each
   * error with file:line.
   */
  public List<Finding> validateTemplates() {
    org.twiliocrm.governance.templates.TemplateFiles.Loaded loaded;
    try {
      loaded =
          org.twiliocrm.governance.templates.TemplateFiles.load(
              templatesLocation,
              org.twiliocrm.governance.templates.TemplateSettings.from(config::get)
                  .defaultLocale());
    } catch (RuntimeException e) {
      return List.of(new Finding(Path.of(templatesLocation), 0, e.getMessage()));
    }
    notes.addAll(loaded.notes());
    List<Finding> schema = schemaFindings(templatesLocation, YamlSchemas.TEMPLATES);
    if (!loaded.ok() || !schema.isEmpty()) {
      // Routes are still checked, against the packaged templates, so their own errors show too.
      routeTemplates = "classpath:templates";
    }
    return merge(schema, loaded.errors());
  }

  /**
   * The schema's findings for a file, or for every *.yaml file of a folder, on the file system (the
   * packaged copies are checked by the build). The editor checks the same schema file.
   */
  static List<Finding> schemaFindings(String location, String schema) {
    if (location == null || location.startsWith("classpath:")) {
      return List.of();
    }
    Path p = Path.of(location.startsWith("file:") ? location.substring(5) : location);
    List<Path> files = new ArrayList<>();
    try {
      if (Files.isDirectory(p)) {
        files.addAll(list(p, ".yaml"));
      } else if (Files.isRegularFile(p)) {
        files.add(p);
      }
      List<Finding> out = new ArrayList<>();
      for (Path f : files) {
        out.addAll(YamlSchemas.check(schema, f, Files.readString(f, StandardCharsets.UTF_8)));
      }
      return out;
    } catch (IOException e) {
      return List.of(new Finding(p, 0, e.getMessage()));
    }
  }

  /**
   * The loader's findings (worded for this format), then the schema's that add something: a schema
   * finding on a file and line the loader already reported says the same thing in other words.
   * Either way the editor, which checks the schema, flags every line validate reports a schema
   * problem on.
   */
  static List<Finding> merge(List<Finding> schema, List<Finding> loader) {
    List<Finding> out = new ArrayList<>(loader);
    java.util.Set<String> at = new java.util.HashSet<>();
    loader.forEach(f -> at.add(f.file() + ":" + f.line()));
    for (Finding f : schema) {
      if (!at.contains(f.file() + ":" + f.line())) {
        out.add(f);
      }
    }
    return out;
  }

  private String lookup(String key) {
    // The policy file is checked on its own (policyFindings), with its own file:line; a broken
    // one must not be reported against every route, so routes bind with the packaged policy.
    if (GovernanceSettings.POLICIES_LOCATION.name().equals(key)) {
      return GovernanceSettings.PACKAGED;
    }
    return "outbox.templates.location".equals(key) ? routeTemplates : config.get(key);
  }

  /** Command-line entry: returns the process exit code (0 clean, 1 findings, 2 usage). */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    ConfigSource source = ConfigSource.load();
    ConnectorConfig.Dsl dsl = ConnectorConfig.from(source).dsl();
    List<Path> routes = routeFolders(dsl.routesLocation());
    Path kamelets = Path.of(dsl.kameletsLocation());
    List<Path> files = new ArrayList<>();
    List<String> policyFiles = new ArrayList<>();
    String templates = null;
    try {
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--routes" -> routes = routeFolders(value(args, ++i, "--routes"));
          case "--kamelets" -> kamelets = Path.of(value(args, ++i, "--kamelets"));
          case "--templates" -> templates = value(args, ++i, "--templates");
          case "--policies" -> policyFiles.add(value(args, ++i, "--policies"));
          default -> {
            if (isPolicyFile(Path.of(args[i]))) {
              policyFiles.add(args[i]);
            } else {
              files.add(Path.of(args[i]));
            }
          }
        }
      }
    } catch (IllegalArgumentException e) {
      err.println("validate: " + e.getMessage());
      return 2;
    }
    RouteValidator validator = new RouteValidator(routes, kamelets, source);
    if (templates != null) {
      validator.templates(templates);
    }
    List<Finding> findings = new ArrayList<>();
    boolean all = files.isEmpty() && policyFiles.isEmpty();
    if (all) {
      policyFiles.add(GovernanceSettings.from(source::get).resolvedLocation());
      policyFiles.add(
          org.twiliocrm.governance.RecipientSettings.from(source::get).resolvedLocation());
    }
    for (String p : policyFiles) {
      findings.addAll(policyFindings(p, source));
    }
    try {
      if (all || templates != null) {
        findings.addAll(validator.validateTemplates());
      }
      if (all || !files.isEmpty()) {
        findings.addAll(all ? validator.validateAll() : validator.validate(files));
      }
    } catch (IOException e) {
      err.println("validate: " + e.getMessage());
      return 2;
    }
    if (all) {
      // the rest of the editable tree, with the same schemas the editors use
      findings.addAll(validateTree(source));
    }
    validator.notes().forEach(n -> out.println("INFO " + n));
    findings.forEach(f -> err.println("ERROR " + f));
    if (findings.isEmpty()) {
      out.println(
          all
              ? "OK: routes in "
                  + String.join(", ", routes.stream().map(Path::toString).toList())
                  + ", kamelets in "
                  + kamelets
                  + ", templates in "
                  + validator.templatesLocation
                  + ", policies "
                  + String.join(", ", policyFiles)
                  + ", the CRM send rules and the flow tests are valid."
              : "OK: " + (files.size() + policyFiles.size()) + " file(s) valid.");
      return 0;
    }
    err.println(findings.size() + " error(s).");
    return 1;
  }

  /**
   * The CRM send rules (schemas/send-rules.schema.json, then the loader's checks) and the flow
   * tests (schemas/flow-test.schema.json) of the working directory, each problem with file:line.
   */
  static List<Finding> validateTree(ConfigSource source) {
    List<Finding> out = new ArrayList<>();
    org.twiliocrm.crm.events.CrmEventsSettings crm =
        org.twiliocrm.crm.events.CrmEventsSettings.from(source::get);
    if (!crm.rulesLocation().startsWith("classpath:")) {
      Path rules = Path.of(crm.rulesLocation().replaceFirst("^file:", ""));
      if (Files.isRegularFile(rules)) {
        try {
          org.twiliocrm.crm.events.SendRules.loadChecked(rules, crm.defaultChannel());
        } catch (org.twiliocrm.crm.events.SendRules.RulesException e) {
          out.addAll(e.findings());
        } catch (IOException e) {
          out.add(new Finding(rules, 0, e.getMessage()));
        }
      }
    }
    try {
      for (Path t : org.twiliocrm.app.FlowTestCommand.discover(Path.of("."), List.of())) {
        out.addAll(
            org.twiliocrm.dsl.YamlSchemas.check(
                org.twiliocrm.dsl.YamlSchemas.FLOW_TEST, t, Files.readString(t)));
      }
    } catch (IOException e) {
      out.add(new Finding(Path.of("tests"), 0, e.getMessage()));
    }
    return out;
  }

  /**
   * A policy file by name: governance/policies.yaml, or any *policies*.yaml / *policy*.yaml, or a
   * recipient policy (governance/recipients.yaml, any *recipients*.yaml).
   */
  static boolean isPolicyFile(Path p) {
    String n = p.getFileName().toString();
    return n.endsWith(".yaml")
        && (n.contains("policies") || n.contains("policy") || isRecipientPolicy(n));
  }

  static boolean isRecipientPolicy(String location) {
    String n = Path.of(location.replaceFirst("^(file|classpath):", "")).getFileName().toString();
    return n.contains("recipients");
  }

  /**
   * Checks a policy file as start-up would: YAML, known keys, and every template, channel and
   * country it names; each problem as file:line.
   */
  static List<Finding> policyFindings(String location, ConfigSource source) {
    // The recipient policy has no JSON Schema yet: its loader is the one check (file:line).
    List<Finding> schema =
        isRecipientPolicy(location) ? List.of() : schemaFindings(location, YamlSchemas.POLICIES);
    return merge(schema, policyLoaderFindings(location, source));
  }

  private static List<Finding> policyLoaderFindings(String location, ConfigSource source) {
    List<Finding> out = new ArrayList<>();
    if (isRecipientPolicy(location)) {
      try {
        new org.twiliocrm.governance.RecipientPolicyLoader().load(location);
      } catch (PolicyException e) {
        out.addAll(findings(location, e));
      }
      return out;
    }
    Templates templates;
    try {
      templates =
          Templates.load(
              OutboxSettings.TEMPLATES_LOCATION.read(source::get),
              org.twiliocrm.governance.templates.TemplateSettings.from(source::get)
                  .defaultLocale());
    } catch (RuntimeException e) {
      out.add(new Finding(Path.of(location), 0, "cannot check templates: " + e.getMessage()));
      return out;
    }
    try {
      new PolicyLoader(
              n -> templates.find(n).isPresent(),
              GovernanceSettings.APPROVAL_EXPIRY.read(source::get))
          .load(location);
    } catch (PolicyException e) {
      out.addAll(findings(location, e));
    }
    return out;
  }

  private static List<Finding> findings(String location, PolicyException e) {
    List<Finding> out = new ArrayList<>();
    java.util.regex.Pattern at = java.util.regex.Pattern.compile("^(.*?):(\\d+): (.*)$");
    for (String problem : e.problems()) {
      java.util.regex.Matcher m = at.matcher(problem);
      out.add(
          m.matches()
              ? new Finding(Path.of(m.group(1)), Integer.parseInt(m.group(2)), m.group(3))
              : new Finding(Path.of(location), 0, problem));
    }
    return out;
  }

  /**
   * The folders of a routes location: comma-separated, as connector.routes.location and --routes
   * take them (the shipped routes plus an example's or a team's own).
   */
  static List<Path> routeFolders(String location) {
    List<Path> out = new ArrayList<>();
    for (String part : location.split(",")) {
      if (!part.isBlank()) {
        out.add(Path.of(part.trim()));
      }
    }
    return out;
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) {
      throw new IllegalArgumentException(flag + " needs a directory");
    }
    return args[i];
  }

  /** Validates every kamelet in the kamelets directory and every route in the routes directory. */
  public List<Finding> validateAll() throws IOException {
    List<Path> files = new ArrayList<>();
    files.addAll(list(kameletsDir, ".kamelet.yaml"));
    List<Finding> missing = new ArrayList<>();
    for (Path routesDir : routesDirs) {
      if (!Files.isDirectory(routesDir) && routesDirs.size() > 1) {
        // One of several named folders is missing: most likely a typo in the list.
        missing.add(new Finding(routesDir, 0, "no such routes folder"));
      }
    }
    // as the run loads them: a later folder's file replaces an earlier one of the same name
    files.addAll(DslLocations.routeFiles(routesDirs));
    if (files.isEmpty()) {
      throw new IOException("no .yaml files in " + routesDirs + " or " + kameletsDir);
    }
    missing.addAll(validate(files));
    return missing;
  }

  public List<Finding> validate(List<Path> files) throws IOException {
    try {
      return validateFiles(files);
    } finally {
      if (salesforce != null) {
        salesforce.close();
        salesforce = null;
      }
    }
  }

  private List<Finding> validateFiles(List<Path> files) throws IOException {
    List<Finding> findings = new ArrayList<>();
    try (Database db = Database.open(validationDb())) {
      for (Path file : files) {
        if (!Files.isRegularFile(file)) {
          findings.add(new Finding(file, 0, "no such file"));
          continue;
        }
        List<Object> docs = parseYaml(file, findings);
        if (docs == null) {
          continue;
        }
        if (file.getFileName().toString().endsWith(".kamelet.yaml")) {
          docs.forEach(d -> findings.addAll(KameletConventions.check(file, d)));
        } else {
          // A bad write-back mapping is reported at its parameter's line; the Camel build would
          // fail on it too, but inside the kamelet, where the line says nothing to the editor.
          String text = Files.readString(file, StandardCharsets.UTF_8);
          List<Finding> mappings =
              text.contains("kamelet:salesforce-writeback-")
                  ? merge(
                      YamlSchemas.checkWritebackSinks(file, text),
                      WritebackMappings.check(file, text))
                  : List.of();
          findings.addAll(mappings.isEmpty() ? checkRoutes(file, db) : mappings);
          if (text.contains("kamelet:salesforce-writeback-")) {
            notes.addAll(WritebackMappings.notes(file, text));
          }
        }
      }
    }
    return findings;
  }

  private static ConnectorConfig.Db validationDb() {
    // Routes that reference #dataSource resolve against a throw-away migrated schema.
    return new ConnectorConfig.Db(
        "jdbc:h2:mem:validate-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1",
        null,
        null,
        2,
        java.time.Duration.ofSeconds(5));
  }

  private static List<Path> list(Path dir, String suffix) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
    }
  }

  private static List<Object> parseYaml(Path file, List<Finding> findings) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    try {
      List<Object> docs = new ArrayList<>();
      new Load(LoadSettings.builder().setLabel(file.toString()).build())
          .loadAllFromString(text)
          .forEach(docs::add);
      return docs;
    } catch (MarkedYamlEngineException e) {
      findings.add(new Finding(file, line(e), "YAML syntax: " + oneLine(e.getProblem())));
      return null;
    }
  }

  /** Builds the file's routes in a context of their own with autoStartup off. */
  private List<Finding> checkRoutes(Path file, Database db) {
    List<Finding> findings = new ArrayList<>();
    DefaultCamelContext ctx = new DefaultCamelContext();
    try {
      ctx.setAutoStartup(false);
      ctx.setSourceLocationEnabled(true);
      ctx.getPropertiesComponent().setInitialProperties(config.asProperties());
      Beans.bind(ctx.getRegistry()::bind, this::lookup, ConnectorConfig.from(config), db);
      ctx.getPropertiesComponent()
          .addInitialProperty(
              "camel.component.kamelet.location",
              "file:" + kameletsDir.toAbsolutePath() + ",classpath:kamelets");
      org.apache.camel.component.kamelet.KameletComponent kamelet =
          ctx.getComponent("kamelet", org.apache.camel.component.kamelet.KameletComponent.class);
      kamelet.setLocation("file:" + kameletsDir.toAbsolutePath() + ",classpath:kamelets");
      if (Files.readString(file).contains("salesforce")) {
        configureSalesforce(ctx);
      }
      Resource resource =
          PluginHelper.getResourceLoader(ctx).resolveResource("file:" + file.toAbsolutePath());
      PluginHelper.getRoutesLoader(ctx).loadRoutes(resource);
      ctx.start();
    } catch (Exception e) {
      findings.add(new Finding(file, lineOf(e, ctx), describe(e)));
    } finally {
      try {
        ctx.stop();
      } catch (RuntimeException ignored) {
        // a context that failed to start may fail to stop; the finding is already recorded
      }
    }
    return findings;
  }

  /**
   * camel-salesforce logs in when its component starts, and its consumers refuse lazy login. So
   * routes that use it are built against the in-process Salesforce emulator, started once per
   * validation run on a free port: nothing leaves the machine.
   */
  private void configureSalesforce(DefaultCamelContext ctx) throws IOException {
    if (salesforce == null) {
      Path data = Files.createTempDirectory("validate-salesforce");
      data.toFile().deleteOnExit();
      salesforce = Sandboxes.startSalesforce(data);
    }
    var settings = salesforce.settings();
    org.apache.camel.component.salesforce.SalesforceComponent sf =
        ctx.getComponent(
            "salesforce", org.apache.camel.component.salesforce.SalesforceComponent.class);
    sf.setLoginUrl(salesforce.baseUrl());
    sf.setClientId(settings.clientId());
    sf.setClientSecret(settings.clientSecret());
    sf.setUserName(settings.username());
    sf.setPassword(settings.password());
  }

  private static int lineOf(Throwable e, DefaultCamelContext ctx) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof MarkedYamlEngineException m) {
        return line(m);
      }
      if (c instanceof FailedToCreateRouteException f && f.getRouteId() != null) {
        for (RouteDefinition rd : ((ModelCamelContext) ctx).getRouteDefinitions()) {
          if (f.getRouteId().equals(rd.getRouteId()) || f.getRouteId().equals(rd.getId())) {
            return rd.getLineNumber();
          }
        }
      }
    }
    return 0;
  }

  private static int line(MarkedYamlEngineException e) {
    return e.getProblemMark()
        .map(m -> m.getLine() + 1)
        .orElse(e.getContextMark().map(m -> m.getLine() + 1).orElse(0));
  }

  static String describe(Throwable e) {
    StringBuilder sb = new StringBuilder();
    String last = null;
    for (Throwable c = e; c != null; c = c.getCause()) {
      String msg = c instanceof MarkedYamlEngineException m ? m.getProblem() : c.getMessage();
      if (msg != null && (last == null || !last.contains(msg))) {
        sb.append(sb.length() == 0 ? "" : " <- ").append(oneLine(msg));
        last = msg;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return sb.length() == 0 ? e.getClass().getSimpleName() : sb.toString();
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s+", " ").trim();
  }
}
