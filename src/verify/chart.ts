// A small dependency-free SVG bar chart: per query, one bar per series
// (e.g. median and p95, or baseline and after), on a log scale so 0.1 ms and
// 500 ms fit one picture.

export interface ChartSeries {
  readonly label: string;
  readonly color: string;
  /** One value per category (ms); null/NaN = no bar. */
  readonly values: readonly (number | null)[];
}

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function barChartSvg(title: string, categories: readonly string[], series: readonly ChartSeries[], unit = "ms"): string {
  const labelWidth = 230;
  const plotWidth = 520;
  const barHeight = 9;
  const groupHeight = barHeight * series.length + 8;
  const top = 46;
  const height = top + categories.length * groupHeight + 40;
  const all = series.flatMap((s) => s.values).filter((v): v is number => v !== null && Number.isFinite(v) && v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all, 1))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all, 1))));
  const x = (v: number) => labelWidth + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo) || 1)) * plotWidth;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + plotWidth + 90}" height="${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="10" y="18" font-size="14" font-weight="bold">${escape(title)}</text>`);
  series.forEach((s, i) => {
    out.push(`<rect x="${labelWidth + i * 130}" y="27" width="10" height="10" fill="${s.color}"/><text x="${labelWidth + i * 130 + 14}" y="36">${escape(s.label)}</text>`);
  });
  for (let t = lo; t <= hi; t *= 10) {
    const tx = x(t).toFixed(1);
    out.push(`<line x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${height - 30}" stroke="#ddd"/><text x="${tx}" y="${height - 16}" text-anchor="middle">${t >= 1 ? t : t.toPrecision(1)} ${unit}</text>`);
  }
  categories.forEach((name, ci) => {
    const gy = top + ci * groupHeight;
    out.push(`<text x="${labelWidth - 6}" y="${gy + (groupHeight - 8) / 2 + 4}" text-anchor="end">${escape(name)}</text>`);
    series.forEach((s, si) => {
      const v = s.values[ci];
      if (v === null || v === undefined || !Number.isFinite(v)) return;
      const y = gy + si * barHeight;
      const w = Math.max(1, x(v) - labelWidth);
      out.push(`<rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight - 1}" fill="${s.color}"><title>${escape(`${name} ${s.label}: ${v.toFixed(3)} ${unit}`)}</title></rect>`);
      out.push(`<text x="${(labelWidth + w + 3).toFixed(1)}" y="${y + barHeight - 1}" font-size="8" fill="#444">${v < 1 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)}</text>`);
    });
  });
  out.push(`</svg>`);
  return out.join("\n");
}
