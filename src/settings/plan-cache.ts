import { EXIT, UserError } from "../base/errors.ts";

// How the app's connections plan prepared statements. postgres.js prepares
// every query; with PostgreSQL's default plan_cache_mode = auto a prepared
// statement switches to a generic plan (planned without the parameter values)
// after five executions when that plan's estimated cost is not much above the
// custom plans'. For "page of the newest rows of one key" queries the generic
// plan assumes an average key: on a server with default settings
// (random_page_cost 4) message_history became a Bitmap Heap Scan over the
// heavy contact's whole history plus a Sort, 4,558 buffers and 8.2 ms per page
// instead of 0.07 ms (Debian PostgreSQL 15, scale 1; docs/design-decisions.md, Plan
// stability). force_custom_plan plans every execution with its values: the
// planning cost (measured there) buys a plan that cannot be wrong for a key
// the average does not describe. The pool sends it as a connection
// parameter, so it holds on any server, managed ones included; verify judges
// the catalog under the same mode (`--plan-cache-mode` to judge another app).
export const PLAN_CACHE_MODES = ["auto", "force_custom_plan", "force_generic_plan"] as const;
export type PlanCacheMode = (typeof PLAN_CACHE_MODES)[number];

export const APP_PLAN_CACHE_MODE: PlanCacheMode = "force_custom_plan";

export function parsePlanCacheMode(raw: string | undefined): PlanCacheMode {
  if (raw === undefined) return APP_PLAN_CACHE_MODE;
  const value = raw.trim().toLowerCase();
  if (!(PLAN_CACHE_MODES as readonly string[]).includes(value)) {
    throw new UserError(`--plan-cache-mode must be one of ${PLAN_CACHE_MODES.join(", ")}, got '${raw}'. Example: --plan-cache-mode auto (judge an app whose connections keep PostgreSQL's default)`, EXIT.usage);
  }
  return value as PlanCacheMode;
}
