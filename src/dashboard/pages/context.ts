// What every dashboard page renderer receives.
import type { Database } from "../../pool/create-database.ts";

export interface PageContext {
  readonly database: Database;
  /** Deadline of each section's database work. */
  readonly deadlineMs: number;
  /** Where verify writes its reports (reports/). */
  readonly reportsDir: string;
  /** The signed-in session's CSRF token, for forms that change state. */
  readonly csrfToken: string;
  /** HEALTH_API_ALLOW_CANCEL: show cancel/terminate buttons on the activity page. */
  readonly allowCancel: boolean;
  /** Reported version and process start, as GET /api/v1/health reports them. */
  readonly version: string;
  readonly startedAt: number;
}
