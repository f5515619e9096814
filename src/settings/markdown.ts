// The server settings as a Markdown table (docs/server-settings.md). A test
// compares the document with this output, so the docs cannot drift.
import { SERVER_SETTINGS, STANDBY_SETTINGS, type ServerSetting } from "./server-settings.ts";

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

export const REPLICATION_TABLE_BEGIN = "<!-- replication-settings-table:begin (generated from src/settings/server-settings.ts) -->";
export const REPLICATION_TABLE_END = "<!-- replication-settings-table:end -->";
/** The replication entries of SERVER_SETTINGS (every node runs them). */
export const REPLICATION_SETTING_NAMES = ["wal_level", "max_wal_senders", "max_replication_slots", "max_slot_wal_keep_size"] as const;

/** The settings replication depends on (docs/SCALING.md): the shared ones, then the standby-only ones. */
export function replicationSettingsMarkdown(): string {
  const shared = REPLICATION_SETTING_NAMES.map((name) => SERVER_SETTINGS.find((s) => s.name === name)!);
  const row = (nodes: string) => (s: ServerSetting) => `| \`${s.name}\` | \`${s.value}\` | ${nodes} | ${s.reason.replaceAll("|", "\\|")} |`;
  return [
    REPLICATION_TABLE_BEGIN,
    "| setting | value | on | why |",
    "| --- | --- | --- | --- |",
    ...shared.map(row("every node")),
    ...STANDBY_SETTINGS.map(row("standbys")),
    REPLICATION_TABLE_END,
  ].join("\n");
}
