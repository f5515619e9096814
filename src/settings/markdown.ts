// The server settings as a Markdown table (docs/PERFORMANCE.md). A test
// compares the document with this output, so the docs cannot drift.
import { SERVER_SETTINGS } from "./server-settings.ts";

export const SETTINGS_TABLE_BEGIN = "<!-- settings-table:begin (generated from src/settings/server-settings.ts) -->";
export const SETTINGS_TABLE_END = "<!-- settings-table:end -->";

export function serverSettingsMarkdown(): string {
  return [
    SETTINGS_TABLE_BEGIN,
    "| setting | value | why |",
    "| --- | --- | --- |",
    ...SERVER_SETTINGS.map((s) => `| \`${s.name}\` | \`${s.value}\` | ${s.reason.replaceAll("|", "\\|")} |`),
    SETTINGS_TABLE_END,
  ].join("\n");
}
