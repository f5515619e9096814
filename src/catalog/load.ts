// A user's own catalog (`--catalog FILE`, JSON or YAML, the CatalogEntry
// shape): validated entry by entry, every problem collected and reported at
// once, each naming the entry and the field to fix.
import { readFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { EXIT, UserError } from "../base/errors.ts";
import { CATALOG } from "./entries.ts";
import { BUDGET_MS, type CatalogEntry, type QueryKind, type StatisticsParam } from "./types.ts";
import { readOnlyQueryProblems } from "./read-only-sql.ts";

const KINDS: readonly QueryKind[] = ["point", "list", "search", "analytics"];
const FIELDS = new Set(["name", "title", "kind", "sql", "params", "paramsFromStatistics", "expectIndexes", "expectMode", "budgetMs", "budgetBuffers", "budgetRows", "seqScanOk", "prepared", "maxStalenessSeconds", "referenceFor", "reason"]);
const NAME = /^[a-z][a-z0-9_]*$/;

/** Highest $n in a query (0 when it has no parameters); quoted text is skipped. */
export function parameterCount(query: string): number {
  const unquoted = query.replace(/'(?:[^']|'')*'/g, "''").replace(/--[^\n]*/g, "");
  let max = 0;
  for (const m of unquoted.matchAll(/\$(\d+)/g)) max = Math.max(max, Number(m[1]));
  return max;
}

/**
 * Validate a parsed catalog: an array of entries, or an object with a
 * `queries` array. Missing `budgetMs` defaults to the kind's budget, missing
 * `reason` to an empty string. Throws one UserError listing every problem.
 */
export function validateCatalog(raw: unknown, source: string): CatalogEntry[] {
  const list = Array.isArray(raw) ? raw : raw && typeof raw === "object" && Array.isArray((raw as { queries?: unknown }).queries) ? (raw as { queries: unknown[] }).queries : undefined;
  if (!list) throw new UserError(`${source}: expected a list of catalog entries (or an object with a 'queries' list), got ${describe(raw)}.`, EXIT.usage);
  if (list.length === 0) throw new UserError(`${source}: the catalog has no entries.`, EXIT.usage);

  const problems: string[] = [];
  const entries: CatalogEntry[] = [];
  const seen = new Map<string, number>();
  list.forEach((item, i) => {
    const label = `entry ${i + 1}${item && typeof item === "object" && typeof (item as { name?: unknown }).name === "string" ? ` '${(item as { name: string }).name}'` : ""}`;
    const problem = (field: string, message: string) => problems.push(`${label}: field '${field}' ${message}`);
    if (!item || typeof item !== "object" || Array.isArray(item)) {
      problems.push(`${label}: expected an object with name, title, kind, sql, params, expectIndexes, got ${describe(item)}`);
      return;
    }
    const e = item as Record<string, unknown>;
    for (const key of Object.keys(e)) if (!FIELDS.has(key)) problem(key, `is not a catalog field (known: ${[...FIELDS].join(", ")})`);

    if (typeof e.name !== "string" || !NAME.test(e.name)) problem("name", `must be a snake_case identifier (e.g. contact_list), got ${describe(e.name)}`);
    else if (seen.has(e.name)) problem("name", `duplicates entry ${seen.get(e.name)}`);
    else seen.set(e.name, i + 1);
    if (typeof e.title !== "string" || e.title.trim() === "") problem("title", `must be a non-empty string, got ${describe(e.title)}`);
    if (typeof e.kind !== "string" || !KINDS.includes(e.kind as QueryKind)) problem("kind", `must be one of ${KINDS.join(", ")}, got ${describe(e.kind)}`);

    let params = 0;
    if (typeof e.sql !== "string" || e.sql.trim() === "") problem("sql", `must be a non-empty SQL string, got ${describe(e.sql)}`);
    else {
      params = parameterCount(e.sql);
      // Every offence on a line of its own: the whole list in one run.
      for (const bad of readOnlyQueryProblems(e.sql)) problem("sql", bad);
    }
    if (!e.params || typeof e.params !== "object" || Array.isArray(e.params)) problem("params", `must map variant names to parameter-picking SQL (e.g. { typical: "SELECT id FROM ..." }; { default: "SELECT" } without parameters), got ${describe(e.params)}`);
    else {
      const variants = Object.entries(e.params as Record<string, unknown>);
      if (variants.length === 0) problem("params", `needs at least one variant (use { default: "SELECT" } for a query without parameters)`);
      for (const [variant, picker] of variants) {
        if (typeof picker !== "string" || picker.trim() === "") problem(`params.${variant}`, `must be a SQL query returning one row with ${params} column(s), got ${describe(picker)}`);
        else {
          // The same rule as for sql: pickers run in verify's read-only transaction too.
          for (const bad of readOnlyQueryProblems(picker)) problem(`params.${variant}`, bad);
        }
      }
    }
    if (e.paramsFromStatistics !== undefined) {
      for (const bad of statisticsParamsProblems(e.paramsFromStatistics, e.params, params)) problem("paramsFromStatistics", bad);
    }
    if (!Array.isArray(e.expectIndexes) || e.expectIndexes.some((x) => typeof x !== "string" || x === "")) problem("expectIndexes", `must be a list of index names ([] when none is expected), got ${describe(e.expectIndexes)}`);
    else if (e.expectIndexes.length === 0 && e.seqScanOk !== true) problem("expectIndexes", "is empty: name the index(es) the plan must use, or set seqScanOk: true");
    if (e.expectMode !== undefined && e.expectMode !== "all" && e.expectMode !== "any") problem("expectMode", `must be "all" or "any", got ${describe(e.expectMode)}`);
    if (e.budgetMs !== undefined && (typeof e.budgetMs !== "number" || !Number.isFinite(e.budgetMs) || e.budgetMs <= 0)) problem("budgetMs", `must be a number of milliseconds greater than 0, got ${describe(e.budgetMs)}`);
    for (const field of ["budgetBuffers", "budgetRows"] as const) {
      const v = e[field];
      if (v !== undefined && v !== null && (typeof v !== "number" || !Number.isInteger(v) || v <= 0)) problem(field, `must be a whole number greater than 0, or null for no limit, got ${describe(v)}`);
    }
    if (e.seqScanOk !== undefined && typeof e.seqScanOk !== "boolean") problem("seqScanOk", `must be true or false, got ${describe(e.seqScanOk)}`);
    if (e.prepared !== undefined && typeof e.prepared !== "boolean") problem("prepared", `must be true or false, got ${describe(e.prepared)}`);
    if (e.reason !== undefined && typeof e.reason !== "string") problem("reason", `must be a string, got ${describe(e.reason)}`);
    if (e.maxStalenessSeconds !== undefined && (typeof e.maxStalenessSeconds !== "number" || !Number.isFinite(e.maxStalenessSeconds) || e.maxStalenessSeconds < 0)) problem("maxStalenessSeconds", `must be a number of seconds, 0 or more, got ${describe(e.maxStalenessSeconds)}`);
    if (e.referenceFor !== undefined && (typeof e.referenceFor !== "string" || e.referenceFor === "")) problem("referenceFor", `must name the catalog entry this one is the raw reference of, got ${describe(e.referenceFor)}`);

    entries.push(catalogEntry(e));
  });
  if (problems.length > 0) {
    throw new UserError(`${source} has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n${problems.map((p) => `  - ${p}`).join("\n")}`, EXIT.usage);
  }
  return entries;
}

/** An entry that passed validation, with the kind's budget when it sets none and optional fields only when given. */
function catalogEntry(e: Record<string, unknown>): CatalogEntry {
  const kind = e.kind as QueryKind;
  return {
    name: e.name as string,
    title: e.title as string,
    kind,
    sql: e.sql as string,
    params: e.params as Record<string, string>,
    ...(e.paramsFromStatistics !== undefined ? { paramsFromStatistics: e.paramsFromStatistics as CatalogEntry["paramsFromStatistics"] } : {}),
    expectIndexes: e.expectIndexes as string[],
    ...(e.expectMode !== undefined ? { expectMode: e.expectMode as "all" | "any" } : {}),
    budgetMs: typeof e.budgetMs === "number" ? e.budgetMs : (BUDGET_MS[kind] ?? BUDGET_MS.list),
    ...(e.budgetBuffers !== undefined ? { budgetBuffers: e.budgetBuffers as number | null } : {}),
    ...(e.budgetRows !== undefined ? { budgetRows: e.budgetRows as number | null } : {}),
    ...(e.seqScanOk !== undefined ? { seqScanOk: e.seqScanOk as boolean } : {}),
    ...(e.prepared !== undefined ? { prepared: e.prepared as boolean } : {}),
    ...(e.maxStalenessSeconds !== undefined ? { maxStalenessSeconds: e.maxStalenessSeconds as number } : {}),
    ...(e.referenceFor !== undefined ? { referenceFor: e.referenceFor as string } : {}),
    reason: typeof e.reason === "string" ? e.reason : "",
  };
}

const STATISTICS_VALUES: readonly StatisticsParam["value"][] = ["most_common", "typical"];

/** What is wrong with an entry's paramsFromStatistics (one line each). */
function statisticsParamsProblems(raw: unknown, params: unknown, count: number): string[] {
  const example = `e.g. { heavy_contact: [{ column: "conversation_messages.contact_id", value: "most_common" }] }`;
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return [`must map variant names to a list of { column, value } (${example}), got ${describe(raw)}`];
  const out: string[] = [];
  const variants = params && typeof params === "object" ? Object.keys(params) : [];
  for (const [variant, list] of Object.entries(raw as Record<string, unknown>)) {
    if (!variants.includes(variant)) out.push(`names variant '${variant}', which params does not have (${variants.join(", ") || "none"})`);
    if (!Array.isArray(list) || list.length !== count) {
      out.push(`.${variant} must list one { column, value } per parameter of the query (${count}), got ${describe(list)}`);
      continue;
    }
    for (const item of list as unknown[]) {
      const x = item as Partial<StatisticsParam> | null;
      if (!x || typeof x !== "object" || typeof x.column !== "string" || !/^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/.test(x.column)) out.push(`.${variant}: column must be "table.column", got ${describe(x?.column ?? item)}`);
      else if (!STATISTICS_VALUES.includes(x.value as StatisticsParam["value"])) out.push(`.${variant}: value must be one of ${STATISTICS_VALUES.join(", ")}, got ${describe(x.value)}`);
    }
  }
  return out;
}

/** How reports name the built-in catalog. */
export const BUILT_IN_CATALOG = "built-in (src/catalog/entries.ts)";

/** The built-in catalog, validated like a user's file (a broken entry fails at once, naming the field). */
export function builtInCatalog(): CatalogEntry[] {
  return validateCatalog(CATALOG, "src/catalog/entries.ts");
}

/** `--catalog FILE` when given, else the built-in catalog. */
export function catalogFromFlag(file: string | undefined): CatalogEntry[] {
  return file ? loadCatalogFile(file) : builtInCatalog();
}

/** Read and validate a catalog file (.json, or YAML for anything else: YAML is a superset of JSON). */
export function loadCatalogFile(file: string): CatalogEntry[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UserError(`Cannot read the catalog file ${file}: ${(error as Error).message}`, EXIT.usage);
  }
  let raw: unknown;
  try {
    raw = path.extname(file).toLowerCase() === ".json" ? JSON.parse(text) : YAML.parse(text);
  } catch (error) {
    throw new UserError(`${file} is not valid ${path.extname(file).toLowerCase() === ".json" ? "JSON" : "YAML"}: ${(error as Error).message}`, EXIT.usage);
  }
  return validateCatalog(raw, file);
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}
