// The parse tree of a workload statement as advise reads it (libpg-query's
// JSON): each $n with its ancestors, the tables the statement names with their
// aliases, and a resolver from column references to the schema's columns.
// parameter-contexts.ts gives each $n its role from these.
import type { SchemaInfo } from "./schema.ts";

export interface ColumnRef {
  readonly table: string;
  readonly column: string;
  /** format_type of the column, without a type modifier ("character varying", "text[]"). */
  readonly type: string;
}

export type Node = Record<string, unknown>;
export interface Step {
  /** Node type name ("A_Expr"), or "" for a list. */
  readonly type: string;
  readonly node: Node;
  /** The field of the parent this node sits in, and its index in a list field. */
  readonly field: string;
  readonly index: number;
}

export function nodeType(value: unknown): [string, Node] | null {
  if (!value || typeof value !== "object" || Array.isArray(value)) return null;
  const keys = Object.keys(value);
  if (keys.length === 1 && /^[A-Z]/.test(keys[0]!)) return [keys[0]!, (value as Record<string, Node>)[keys[0]!]!];
  return null;
}

/** Every ParamRef with its ancestors (nearest last). */
export function paramRefs(root: unknown): { param: Node; ancestors: Step[]; field: string }[] {
  const out: { param: Node; ancestors: Step[]; field: string }[] = [];
  const visit = (value: unknown, ancestors: Step[], field: string, index: number) => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, ancestors, field, i));
      return;
    }
    const typed = nodeType(value);
    if (!typed) {
      if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) visit(v, ancestors, k, -1);
      return;
    }
    const [type, node] = typed;
    if (type === "ParamRef") {
      out.push({ param: node, ancestors, field });
      return;
    }
    const step: Step = { type, node, field, index };
    for (const [k, v] of Object.entries(node)) visit(v, [...ancestors, step], k, -1);
  };
  visit(root, [], "", -1);
  return out;
}

export function names(list: unknown): string[] {
  return Array.isArray(list) ? list.map((x) => ((x as { String?: { sval?: string } }).String?.sval ?? "").toLowerCase()) : [];
}

export function stripTypmod(type: string): string {
  return type.replace(/\([^)]*\)/g, "").replace(/\s+\[\]/, "[]").trim();
}

/** alias -> table for every table the statement names (any level). */
export function tableAliases(root: unknown, schema: SchemaInfo): Map<string, string> {
  const aliases = new Map<string, string>();
  const visit = (value: unknown) => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!value || typeof value !== "object") return;
    const typed = nodeType(value);
    // UPDATE/INSERT/DELETE hold their table as a bare RangeVar body (`relation`).
    const body = typed?.[0] === "RangeVar" ? typed[1] : typeof (value as { relname?: unknown }).relname === "string" ? (value as Node) : null;
    if (body) {
      const rv = body as { relname?: string; alias?: { aliasname?: string } };
      const table = rv.relname?.toLowerCase();
      if (table && schema.has(table)) {
        aliases.set(table, table);
        if (rv.alias?.aliasname) aliases.set(rv.alias.aliasname.toLowerCase(), table);
      }
    }
    for (const v of Object.values(typed ? typed[1] : value)) visit(v);
  };
  visit(root);
  return aliases;
}

export class Resolver {
  private readonly aliases: Map<string, string>;
  private readonly schema: SchemaInfo;
  constructor(aliases: Map<string, string>, schema: SchemaInfo) {
    this.aliases = aliases;
    this.schema = schema;
  }

  column(value: unknown): ColumnRef | null {
    const typed = nodeType(value);
    if (!typed || typed[0] !== "ColumnRef") return null;
    const fields = names((typed[1] as { fields?: unknown }).fields);
    const column = fields.at(-1);
    if (!column) return null;
    const qualifier = fields.length > 1 ? fields.at(-2) : undefined;
    const tables = qualifier ? [this.aliases.get(qualifier)].filter((t): t is string => !!t) : [...new Set(this.aliases.values())];
    const found = tables.filter((t) => this.schema.get(t)?.columns.has(column));
    if (found.length !== 1) return null;
    const info = this.schema.get(found[0]!)!.columns.get(column)!;
    return { table: found[0]!, column, type: stripTypmod(info.type) };
  }

  /** A column, or lower(column)/upper(column). */
  wrappedColumn(value: unknown): { column: ColumnRef; wrap?: "lower" | "upper" } | null {
    const direct = this.column(value);
    if (direct) return { column: direct };
    const typed = nodeType(value);
    if (typed?.[0] === "FuncCall") {
      const fn = names((typed[1] as { funcname?: unknown }).funcname).at(-1);
      const args = (typed[1] as { args?: unknown[] }).args ?? [];
      if ((fn === "lower" || fn === "upper") && args.length === 1) {
        const c = this.column(args[0]);
        if (c) return { column: c, wrap: fn };
      }
    }
    if (typed?.[0] === "TypeCast") return this.wrappedColumn((typed[1] as { arg?: unknown }).arg);
    return null;
  }

  /** The type an expression has, as far as the statement's text tells (date/time arithmetic). */
  typeOf(value: unknown): string | null {
    const typed = nodeType(value);
    if (!typed) return null;
    const [type, node] = typed;
    if (type === "ColumnRef") return this.column(value)?.type ?? null;
    if (type === "SQLValueFunction") {
      const op = String((node as { op?: string }).op);
      if (op === "SVFOP_CURRENT_DATE") return "date";
      if (/TIMESTAMP/.test(op)) return /LOCAL/.test(op) ? "timestamp without time zone" : "timestamp with time zone";
      return null;
    }
    if (type === "FuncCall") {
      const fn = names((node as { funcname?: unknown }).funcname).at(-1);
      if (fn === "now" || fn === "statement_timestamp" || fn === "clock_timestamp" || fn === "transaction_timestamp") return "timestamp with time zone";
      if (fn === "date_trunc") return "timestamp with time zone";
      return null;
    }
    if (type === "TypeCast") return typeName((node as { typeName?: unknown }).typeName);
    return null;
  }
}

export function typeName(tn: unknown): string | null {
  const t = tn as { names?: unknown; arrayBounds?: unknown[] } | undefined;
  if (!t) return null;
  const parts = names(t.names).filter((n) => n !== "pg_catalog");
  if (parts.length === 0) return null;
  const base = ({ int2: "smallint", int4: "integer", int8: "bigint", float4: "real", float8: "double precision", bool: "boolean", timestamptz: "timestamp with time zone", timestamp: "timestamp without time zone", varchar: "character varying", bpchar: "character" } as Record<string, string>)[parts.at(-1)!] ?? parts.join(".");
  return `${base}${t.arrayBounds?.length ? "[]" : ""}`;
}
