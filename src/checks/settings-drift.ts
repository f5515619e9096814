// Settings drift: the server's settings against src/settings/server-settings.ts
// (what the embedded server and the Pulumi container apply). On a managed or
// default server some differ by design, so drift is reported, never gating.
import type { Sql } from "../db/index.ts";
import { SERVER_SETTINGS, type ServerSetting } from "../settings/server-settings.ts";

export interface SettingInEffect {
  readonly name: string;
  /** As SHOW prints it; null when the server does not know the setting. */
  readonly value: string | null;
  readonly source: string | null;
}

/** The current values of the named settings, as SHOW prints them. */
export async function settingsInEffect(sql: Sql, names: readonly string[]): Promise<SettingInEffect[]> {
  const result: SettingInEffect[] = [];
  for (const name of names) {
    const [row] = await sql<{ value: string | null; source: string | null }[]>`
      SELECT current_setting(${name}, true) AS value, (SELECT source FROM pg_settings WHERE name = ${name}) AS source`;
    result.push({ name, value: row?.value ?? null, source: row?.source ?? null });
  }
  return result;
}

export interface SettingDrift {
  readonly name: string;
  readonly expected: string;
  /** null when the server does not know the setting. */
  readonly actual: string | null;
  readonly source: string | null;
}

/** The settings whose value on this server differs from the settings module. */
export async function findSettingsDrift(sql: Sql, expected: readonly ServerSetting[] = SERVER_SETTINGS): Promise<SettingDrift[]> {
  const inEffect = await settingsInEffect(sql, expected.map((s) => s.name));
  return expected.flatMap((s) => {
    const actual = inEffect.find((x) => x.name === s.name);
    return actual?.value === s.value ? [] : [{ name: s.name, expected: s.value, actual: actual?.value ?? null, source: actual?.source ?? null }];
  });
}
