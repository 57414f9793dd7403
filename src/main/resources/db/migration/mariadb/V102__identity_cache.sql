-- Nothing to do on this database: V102 sets the identity caches of H2's tables (see
-- db/migration/h2/V102__identity_cache.sql). Kept so the three schemas share one version history.
SELECT 1;
