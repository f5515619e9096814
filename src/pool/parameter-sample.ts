// A bounded sample of the bind parameters the app sends, per statement text:
// the values `npm run advise` measures candidate indexes with when the
// server's log has none (issue #26, value source (b)). Kept in this process's
// memory only; never logged, never in an API answer. The app (or `npm run
// serve`'s capture) stores it in the monitor schema with
// saveParameterSamples (src/observe/parameter-samples.ts), where advise reads it.
import { arrayLiteral } from "../db/quote.ts";

/** Statements sampled at most (the least recently seen one makes room). */
export const SAMPLED_STATEMENTS_MAX = 200;
/** A value longer than this is not kept (like log_parameter_max_length: a cut value is no value), nor is its set. */
export const SAMPLED_VALUE_MAX_LENGTH = 1024;

export interface SampledValueSet {
  /** One value per bind parameter, in PostgreSQL's text form (null for NULL). */
  readonly values: readonly (string | null)[];
  readonly durationMs: number;
}

export interface SampledStatement {
  /** As the app sent it: $1..$n for the bind parameters. */
  readonly query: string;
  /** Calls seen since the sample started. */
  readonly calls: number;
  /** The slowest distinct value sets seen (the calls an index must fix), slowest first. */
  readonly sets: readonly SampledValueSet[];
}

/** PostgreSQL's text form of a value postgres.js binds (null when it has none that fits). */
export function parameterText(value: unknown): string | null | undefined {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (Buffer.isBuffer(value)) return `\\x${value.toString("hex")}`;
  if (Array.isArray(value)) {
    const items = value.map(parameterText);
    if (items.some((x) => x === undefined)) return undefined;
    return arrayLiteral(items as (string | null)[]);
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

interface Entry {
  calls: number;
  lastSeen: number;
  sets: SampledValueSet[];
}

export class ParameterSampler {
  private readonly entries = new Map<string, Entry>();
  private seen = 0;
  /** Value sets kept per statement; 0 samples nothing. */
  readonly setsPerStatement: number;

  constructor(setsPerStatement: number) {
    this.setsPerStatement = setsPerStatement;
  }

  /** One finished call; queries without parameters are not sampled. */
  record(query: string, parameters: readonly unknown[] | undefined, durationMs: number): void {
    if (this.setsPerStatement === 0 || !parameters || parameters.length === 0) return;
    let entry = this.entries.get(query);
    if (!entry) {
      if (this.entries.size >= SAMPLED_STATEMENTS_MAX) this.evictLeastRecent();
      entry = { calls: 0, lastSeen: 0, sets: [] };
      this.entries.set(query, entry);
    }
    entry.calls++;
    entry.lastSeen = ++this.seen;
    const full = entry.sets.length >= this.setsPerStatement;
    if (full && durationMs <= entry.sets.at(-1)!.durationMs) return;
    const values = parameters.map(parameterText);
    if (values.some((v) => v === undefined || (v !== null && v.length > SAMPLED_VALUE_MAX_LENGTH))) return;
    const key = JSON.stringify(values);
    const same = entry.sets.findIndex((s) => JSON.stringify(s.values) === key);
    if (same >= 0) {
      if (entry.sets[same]!.durationMs >= durationMs) return;
      entry.sets.splice(same, 1);
    } else if (full) entry.sets.pop();
    entry.sets.push({ values: values as (string | null)[], durationMs });
    entry.sets.sort((a, b) => b.durationMs - a.durationMs);
  }

  private evictLeastRecent(): void {
    let oldest: string | undefined;
    let at = Infinity;
    for (const [query, e] of this.entries) if (e.lastSeen < at) [oldest, at] = [query, e.lastSeen];
    if (oldest !== undefined) this.entries.delete(oldest);
  }

  snapshot(): SampledStatement[] {
    return [...this.entries].map(([query, e]) => ({ query, calls: e.calls, sets: e.sets.map((s) => ({ values: [...s.values], durationMs: s.durationMs })) }));
  }

  reset(): void {
    this.entries.clear();
  }
}
