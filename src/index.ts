// The package's main entry ("bollalabz-db"): what an application needs to
// run on this database — the pool with its query monitor, the health routes
// as Fastify plugins, and the database checks. Narrower entries:
// "bollalabz-db/pool", "/health", "/checks", "/maintenance" (package.json "exports").
export * from "./pool/index.ts";
export { healthPlugin, metricsPlugin, PACKAGE_VERSION, type HealthPluginOptions, type MetricsPluginOptions } from "./health/index.ts";
export * from "./checks/index.ts";
// The pool's bind-parameter sample, stored where `npm run advise` reads it (an app's own capture; `npm run serve` does it itself).
export { saveParameterSamples } from "./observe/index.ts";
export { maskUrl, openSql, connect, withSql, targetFromUrl, classifyConnectionError, type DatabaseTarget, type Sql } from "./db/index.ts";
