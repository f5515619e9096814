// How durations, sizes and ratios read in every printed line and report:
// one formatter per unit, so a figure reads the same on every page.

export function formatMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} kB`;
  return `${bytes} B`;
}

/** Milliseconds for table cells (no unit; the column header names it): 3 significant figures below 10 ms. */
export function formatMsCell(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "-";
  if (ms < 1) return ms.toFixed(3);
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

/** A ratio (0..1) as a percentage; `digits: "auto"` keeps two decimals below 1 % so small shares do not read as 0.0 %. */
export function formatPercent(ratio: number, digits: number | "auto" = 1): string {
  return `${(ratio * 100).toFixed(digits === "auto" ? (ratio < 0.01 ? 2 : 1) : digits)}%`;
}
