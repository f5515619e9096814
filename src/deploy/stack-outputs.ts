// The stack outputs deploy needs, read from `pulumi stack output --json
// --show-secrets`. That text holds passwords: it is parsed, never printed,
// and errors name keys, not values.
import { EXIT, UserError } from "../base/errors.ts";

export interface StackOutputs {
  readonly host: string;
  readonly port: number;
  readonly databaseName: string;
  /** Secret: the app role's URL. */
  readonly appUrl: string;
  /** Secret: the URL migrate and verify use. */
  readonly migrationUrl: string;
  /** Secret: the same role's URL on each replica (`bollalabz-db:replicas`); [] without replicas or on an older stack. */
  readonly replicaAdminUrls: readonly string[];
}

export function parseStackOutputs(json: string, stack: string): StackOutputs {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new UserError(`'pulumi stack output --json' for stack ${stack} did not print JSON. Run it yourself to see why.`, EXIT.failed);
  }
  const values = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  const problems: string[] = [];
  const text = (key: string) => {
    const v = values[key];
    if (typeof v !== "string" || v === "") problems.push(`'${key}' is ${v === undefined ? "missing" : "not a non-empty string"}`);
    return typeof v === "string" ? v : "";
  };
  const host = text("host");
  const databaseName = text("databaseName");
  const appUrl = text("appUrl");
  const migrationUrl = text("migrationUrl");
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`'port' is ${values.port === undefined ? "missing" : "not a port number"}`);
  for (const [key, url] of [["appUrl", appUrl], ["migrationUrl", migrationUrl]] as const) {
    if (url && !/^postgres(ql)?:\/\//.test(url)) problems.push(`'${key}' is not a postgres:// URL`);
  }
  const replicas = values.replicaAdminUrls ?? [];
  const replicaAdminUrls = Array.isArray(replicas) ? replicas.filter((u): u is string => typeof u === "string" && /^postgres(ql)?:\/\//.test(u)) : [];
  if (!Array.isArray(replicas) || replicaAdminUrls.length !== replicas.length) problems.push("'replicaAdminUrls' is not a list of postgres:// URLs");
  if (problems.length > 0) {
    throw new UserError(`Stack ${stack} does not have the outputs deploy needs: ${problems.join("; ")}. Is this a bollalabz-db stack, and did 'pulumi up' finish?`, EXIT.failed);
  }
  return { host, port, databaseName, appUrl, migrationUrl, replicaAdminUrls };
}
