package org.twiliocrm.app;

import java.util.function.BiConsumer;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.db.Database;

/**
 * The beans YAML routes may reference by name. The running connector and the validate command bind
 * the same set, so a route that validates also resolves its beans at run time.
 */
public final class Beans {
  private Beans() {}

  /** The core beans plus each flow's, which read their own keys through {@code lookup}. */
  public static void bind(
      BiConsumer<String, Object> registry,
      java.util.function.Function<String, String> lookup,
      ConnectorConfig cfg,
      Database db) {
    bind(registry, cfg, db);
  }

  public static void bind(BiConsumer<String, Object> registry, ConnectorConfig cfg, Database db) {
    registry.accept("dataSource", db.dataSource());
    registry.accept("connectorDatabase", db);
    registry.accept("connectorConfig", cfg);
    registry.accept("connectorInfo", new ConnectorInfo(cfg, db.displayUrl()));
  }
}
