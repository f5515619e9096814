// The live views and the history behind the health API and the dashboard:
// plain functions of a postgres.js client (library code never starts a server).
export { activity, runningStatements, blockedStatements, idleInTransaction, connectionSummary, LONG_RUNNING_MS, IDLE_IN_TRANSACTION_WARN_MS, CONNECTIONS_USED_WARN, type Activity, type Backend, type BlockedStatement, type ConnectionSummary } from "./activity.ts";
export { signalBackend, refusalReason, isValidPid, type BackendAction, type BackendControlOutcome, type BackendIdentity } from "./backend-control.ts";
export { normalizeStatement, ACTIVITY_TEXT_MAX } from "./normalize-sql.ts";
export { dangerReport, SEQUENCE_DANGER_FRACTION, type DangerReport } from "./danger.ts";
export { MONITOR_SCHEMA, ensureMonitorSchema, monitorSchemaReady } from "./monitor-schema.ts";
export { captureStatements, type StatementCaptureResult } from "./statement-capture.ts";
export { statementWindow, type StatementWindow, type WindowedStatement, type WindowCoverage } from "./statement-history.ts";
export { captureSpace, spaceGrowth, SPACE_GROWTH_DAYS, type TableGrowth, type SpaceCaptureResult } from "./space-history.ts";
export { runCapture, pruneHistory, startCaptureSchedule, STATEMENT_RETENTION_DAYS, SPACE_RETENTION_DAYS, CAPTURE_INTERVAL_MINUTES, type CaptureResult, type CaptureSchedule } from "./capture.ts";
export { parseWindow, WINDOW_FORMS, WINDOW_MAX_DAYS, type HistoryWindow } from "./window.ts";
export { saveParameterSamples, readParameterSamples, pruneParameterSamples, type SampledStatement, type StoredParameterSample } from "./parameter-samples.ts";
