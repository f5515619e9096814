// The health API for applications: the Fastify plugins, the standalone server, its settings.
export { healthPlugin, coalesce, PACKAGE_VERSION, type HealthPluginOptions } from "./plugin.ts";
export { metricsPlugin, buildMetricsRegistry, type MetricsPluginOptions } from "./metrics.ts";
export { buildHealthApp, startHealthServer, assertSafeBind, loggerOptions, API_PREFIX, ENDPOINTS, type BuildOptions, type RunningHealthServer } from "./server.ts";
export { parseHealthServerSettings, isLoopback, HEALTH_SERVER_DEFAULTS, type HealthServerSettings } from "./health-options.ts";
export { requireBearer, tokenMatches } from "../base/bearer-token.ts";
export { probesPlugin, type ProbesPluginOptions } from "./probes.ts";
export { observeRoutes, type ObserveRoutesOptions } from "./observe-routes.ts";
export { registerPostgresExporterMetrics, ACTIVITY_STATES } from "./postgres-exporter-metrics.ts";
export { replicationRoutes, replicationMetrics, type ReplicationRoutesOptions } from "./replication.ts";
export { replicationHealth, type ReplicationHealth } from "../replication/health.ts";
