// The grade as the spec defines it: A+ every query passes and the mean query
// time is under 50 ms; A every query passes and the mean is under 100 ms;
// B at least 90% pass; C 80%; D 70%; F below.
import { EXIT, UserError } from "../base/errors.ts";

export const GRADES = ["A+", "A", "B", "C", "D", "F"] as const;
export type Grade = (typeof GRADES)[number];

export const GRADE_RULES = {
  aPlusMeanMs: 50,
  aMeanMs: 100,
  b: 0.9,
  c: 0.8,
  d: 0.7,
} as const;

export interface GradeInput {
  readonly total: number;
  readonly passed: number;
  /** Mean client-side time over the queries that ran (ms). */
  readonly meanMs: number;
}

export function grade({ total, passed, meanMs }: GradeInput): Grade {
  if (total <= 0) return "F";
  const rate = passed / total;
  if (passed === total && meanMs < GRADE_RULES.aPlusMeanMs) return "A+";
  if (passed === total && meanMs < GRADE_RULES.aMeanMs) return "A";
  if (rate >= GRADE_RULES.b) return "B";
  if (rate >= GRADE_RULES.c) return "C";
  if (rate >= GRADE_RULES.d) return "D";
  return "F";
}

/** True when `actual` is `minimum` or better. */
export function meetsGrade(actual: Grade, minimum: Grade): boolean {
  return GRADES.indexOf(actual) <= GRADES.indexOf(minimum);
}

export function parseGrade(raw: string | undefined, fallback: Grade = "A"): Grade {
  if (raw === undefined) return fallback;
  const value = raw.trim().toUpperCase();
  if (!(GRADES as readonly string[]).includes(value)) {
    throw new UserError(`--min-grade must be one of ${GRADES.join(", ")}, got '${raw}'. Example: --min-grade A`, EXIT.usage);
  }
  return value as Grade;
}
