// The numbers that size the server from the application side. The pool module
// (src/pool) uses POOL_MAX as its default, the server settings derive
// max_connections from it, and the Pulumi program derives the app role's
// connection limit from it: change them here and all three follow.

/** Connections one application instance's pool may open (the spec's `max: 20`). */
export const POOL_MAX = 20;

/** Application instances expected to share one database server. */
export const APP_INSTANCES = 3;

/**
 * Connections kept free for people and tools that are not the app: migrations,
 * `npm run verify`, psql, the health API's own pool, autovacuum workers are
 * separate (they do not count against max_connections).
 */
export const ADMIN_HEADROOM = 15;

/**
 * The health probe's own connection per instance (src/pool/create-database.ts):
 * it must connect while the pool is full, so it is counted beside the pool.
 */
export const HEALTH_PROBE_CONNECTIONS = 1;

/** Connections the application role may hold in total across all instances. */
export const APP_ROLE_CONNECTION_LIMIT = (POOL_MAX + HEALTH_PROBE_CONNECTIONS) * APP_INSTANCES;

/** max_connections = every app pool (and probe) full + headroom for admin work. */
export const MAX_CONNECTIONS = APP_ROLE_CONNECTION_LIMIT + ADMIN_HEADROOM;
