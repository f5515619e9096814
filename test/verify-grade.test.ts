import { describe, expect, it } from "vitest";
import { grade, meetsGrade, parseGrade } from "../src/verify/grade.ts";
import { latencyStats, percentile } from "../src/base/statistics.ts";

describe("grade boundaries (spec: A+ <50 ms, A <100 ms, B 90%, C 80%, D 70%)", () => {
  it.each([
    [{ total: 10, passed: 10, meanMs: 49.99 }, "A+"],
    [{ total: 10, passed: 10, meanMs: 50 }, "A"],
    [{ total: 10, passed: 10, meanMs: 99.99 }, "A"],
    [{ total: 10, passed: 10, meanMs: 100 }, "B"],
    [{ total: 10, passed: 9, meanMs: 1 }, "B"],
    [{ total: 100, passed: 90, meanMs: 1 }, "B"],
    [{ total: 100, passed: 89, meanMs: 1 }, "C"],
    [{ total: 10, passed: 8, meanMs: 1 }, "C"],
    [{ total: 100, passed: 79, meanMs: 1 }, "D"],
    [{ total: 10, passed: 7, meanMs: 1 }, "D"],
    [{ total: 100, passed: 69, meanMs: 1 }, "F"],
    [{ total: 10, passed: 0, meanMs: 1 }, "F"],
    [{ total: 0, passed: 0, meanMs: 0 }, "F"],
  ] as const)("%j -> %s", (input, expected) => {
    expect(grade(input)).toBe(expected);
  });

  it("compares against --min-grade", () => {
    expect(meetsGrade("A+", "A")).toBe(true);
    expect(meetsGrade("A", "A")).toBe(true);
    expect(meetsGrade("B", "A")).toBe(false);
    expect(meetsGrade("F", "F")).toBe(true);
    expect(meetsGrade("D", "C")).toBe(false);
  });

  it("parses --min-grade case-insensitively and rejects anything else", () => {
    expect(parseGrade(undefined)).toBe("A");
    expect(parseGrade("a+")).toBe("A+");
    expect(parseGrade(" b ")).toBe("B");
    expect(() => parseGrade("E")).toThrow(/--min-grade must be one of A\+, A, B, C, D, F, got 'E'/);
  });
});

describe("latency statistics", () => {
  it("min/median/mean/p95/max with nearest-rank p95", () => {
    const samples = Array.from({ length: 20 }, (_, i) => 20 - i); // 1..20 shuffled order
    expect(latencyStats(samples)).toEqual({ runs: 20, min: 1, median: 10.5, mean: 10.5, p95: 19, max: 20 });
    expect(percentile([1, 2, 3], 95)).toBe(3);
    expect(latencyStats([]).runs).toBe(0);
  });
});
