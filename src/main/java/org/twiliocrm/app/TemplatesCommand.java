package org.twiliocrm.app;

import java.io.PrintStream;
import java.util.List;
import org.twiliocrm.config.ConfigException;
import org.twiliocrm.config.ConfigSource;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.db.Database;
import org.twiliocrm.governance.templates.TemplateApprovals;

/**
 * {@code templates list|approve|reject}: the template approval API on the command line, against the
 * connector's database. For a demo or an operator with shell access; the authenticated HTTP API is
 * {@code /api/approvals}. A running connector picks a decision up within {@code
 * templates.reload-interval}.
 */
final class TemplatesCommand {
  private TemplatesCommand() {}

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0) {
      err.println(
          "templates: list [NAME] | submit VERSION --as NAME | approve VERSION --as NAME"
              + " [--comment TEXT] | reject VERSION --as NAME [--comment TEXT]");
      return 2;
    }
    String actor = null;
    String comment = null;
    String arg = null;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--as" -> actor = i + 1 < args.length ? args[++i] : null;
        case "--comment" -> comment = i + 1 < args.length ? args[++i] : null;
        default -> arg = args[i];
      }
    }
    ConnectorConfig cfg;
    try {
      cfg = ConnectorConfig.from(ConfigSource.load());
    } catch (ConfigException e) {
      err.println("Configuration error: " + e.getMessage());
      return 2;
    }
    try (Database db = Database.open(cfg.db())) {
      TemplateApprovals approvals = new TemplateApprovals(db.dataSource());
      switch (args[0]) {
        case "list" -> {
          List<TemplateApprovals.Version> versions = approvals.versions(arg);
          out.printf("%-28s %-64s %-16s %-20s %s%n", "TEMPLATE", "VERSION", "STATE", "BY", "SEEN");
          for (TemplateApprovals.Version v : versions) {
            out.printf(
                "%-28s %-64s %-16s %-20s %s%n",
                v.templateName(),
                v.version(),
                v.state(),
                v.decidedBy() == null ? "" : v.decidedBy(),
                v.source() == null ? "" : v.source());
          }
          return 0;
        }
        case "approve", "reject" -> {
          if (arg == null || actor == null) {
            err.println("templates " + args[0] + ": needs VERSION and --as NAME");
            return 2;
          }
          TemplateApprovals.Version v =
              args[0].equals("approve")
                  ? approvals.approve(arg, actor, comment)
                  : approvals.reject(arg, actor, comment);
          out.println(v.templateName() + " " + v.version() + " " + v.state() + " by " + actor);
          return 0;
        }
        case "submit" -> {
          if (arg == null || actor == null) {
            err.println("templates submit: needs VERSION and --as NAME");
            return 2;
          }
          TemplateApprovals.Version v = approvals.submit(arg, actor);
          out.println(
              v.templateName() + " " + v.version() + " submitted by " + actor + " (four eyes)");
          return 0;
        }
        default -> {
          err.println("templates: unknown subcommand '" + args[0] + "'");
          return 2;
        }
      }
    } catch (TemplateApprovals.NotFound
        | TemplateApprovals.Conflict
        | TemplateApprovals.FourEyes e) {
      err.println("templates: " + e.getMessage());
      return 1;
    }
  }
}
