// The dashboard's only stylesheet, served from its own route
// (GET /dashboard/assets/dashboard.css) so the CSP can say style-src 'self'
// and forbid inline styles. SVG charts take their colours from these classes.
export const DASHBOARD_CSS = `
:root { --fg: #1d2330; --muted: #5b6474; --line: #d9dde5; --bg: #f5f6f8; --card: #fff;
  --s0: #3b6fd8; --s1: #8fb0ef; --s2: #e39b2d; --s3: #7a5bc7; --s4: #2aa198;
  --ok: #2f9e5b; --warn: #d6a215; --bad: #d2483c; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #1d2330; color: #fff; }
header .brand { font-weight: 600; letter-spacing: .02em; }
header nav { display: flex; gap: 4px; flex: 1; flex-wrap: wrap; }
header nav a { color: #cfd6e4; text-decoration: none; padding: 4px 10px; border-radius: 4px; }
header nav a[aria-current="page"], header nav a:hover { background: #3a4356; color: #fff; }
header form { margin: 0; }
main { max-width: 1180px; margin: 0 auto; padding: 20px 24px 40px; }
h1 { font-size: 20px; margin: 0 0 12px; }
h2 { font-size: 16px; margin: 0 0 10px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 16px; }
section.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 14px 16px; margin-bottom: 16px; overflow-x: auto; }
.figures { display: flex; flex-wrap: wrap; gap: 18px; margin: 0 0 8px; padding: 0; list-style: none; }
.figures li { min-width: 110px; }
.figures .k { display: block; color: var(--muted); font-size: 12px; }
.figures .v { font-size: 18px; font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td code, .query { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; word-break: break-word; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; background: var(--muted); }
.badge.ok { background: var(--ok); } .badge.warn { background: var(--warn); } .badge.bad, .badge.fail { background: var(--bad); }
.muted { color: var(--muted); }
.flash { padding: 8px 12px; border-radius: 4px; margin-bottom: 14px; border: 1px solid; }
ul.warnings { padding-left: 0; list-style: none; } ul.warnings li { margin: 4px 0; }
.notice { padding: 8px 12px; border-radius: 4px; background: #eef2fa; border: 1px solid var(--s1); }
.flash.ok { background: #e8f6ee; border-color: var(--ok); } .flash.error { background: #fbeceb; border-color: var(--bad); }
form.inline { display: inline; margin: 0 2px; }
.actions { white-space: nowrap; }
button { font: inherit; padding: 3px 10px; border-radius: 4px; border: 1px solid #9aa3b2; background: #fff; cursor: pointer; }
button.danger { border-color: var(--bad); color: var(--bad); }
header button { background: transparent; color: #cfd6e4; border-color: #5b6474; }
.windows a { margin-right: 8px; }
.windows a[aria-current="true"] { font-weight: 700; }
.login { max-width: 380px; margin: 80px auto; }
.login label { display: block; margin: 8px 0 4px; }
.login input { width: 100%; padding: 6px 8px; font: inherit; border: 1px solid #9aa3b2; border-radius: 4px; }
.login button { margin-top: 12px; }
img.report-chart { max-width: 100%; height: auto; border: 1px solid var(--line); }
svg.chart { max-width: 100%; height: auto; display: block; margin: 6px 0 10px; font: 12px system-ui, sans-serif; }
svg.chart text { fill: var(--fg); }
svg.chart text.axis, svg.chart text.empty { fill: var(--muted); }
svg.chart .track { fill: #eceef2; }
svg.chart .grid { stroke: var(--line); }
svg.chart .line { fill: none; stroke-width: 2; }
.s0 { fill: var(--s0); stroke: var(--s0); } .s1 { fill: var(--s1); stroke: var(--s1); } .s2 { fill: var(--s2); stroke: var(--s2); }
.s3 { fill: var(--s3); stroke: var(--s3); } .s4 { fill: var(--s4); stroke: var(--s4); }
.ok { fill: var(--ok); stroke: var(--ok); } .warn { fill: var(--warn); stroke: var(--warn); } .bad { fill: var(--bad); stroke: var(--bad); }
svg.chart .line.s0, svg.chart .line.s1, svg.chart .line.s2, svg.chart .line.s3, svg.chart .line.s4 { fill: none; }
`;
