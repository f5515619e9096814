// Which replicas a command looks at: `--replica URL` (repeatable) or
// DATABASE_REPLICA_URLS (comma-separated). Every URL is validated and all
// problems are reported in one message.
import { EXIT, UserError } from "../base/errors.ts";
import { maskUrl, parseDatabaseUrl, type DatabaseTarget } from "../db/index.ts";

export const REPLICA_URLS_ENV = "DATABASE_REPLICA_URLS";

/** Replica targets from the flag values (take precedence) or the environment; [] when neither is given. */
export function replicaTargets(flagValues: readonly string[] | undefined, env: NodeJS.ProcessEnv = process.env): DatabaseTarget[] {
  const fromFlags = (flagValues ?? []).length > 0;
  const raw = fromFlags ? [...flagValues!] : (env[REPLICA_URLS_ENV] ?? "").split(",");
  const source = fromFlags ? "--replica" : REPLICA_URLS_ENV;
  const urls = raw.map((u) => u.trim());
  if (!fromFlags && urls.every((u) => u === "")) return [];
  const problems: string[] = [];
  urls.forEach((url, i) => {
    const name = fromFlags ? `--replica #${i + 1}` : `${REPLICA_URLS_ENV} entry ${i + 1}`;
    if (url === "") {
      problems.push(`${name} is empty`);
      return;
    }
    try {
      parseDatabaseUrl(url, name);
    } catch (error) {
      problems.push((error as Error).message);
    }
  });
  const seen = new Set<string>();
  for (const url of urls) {
    if (url && seen.has(url)) problems.push(`${maskUrl(url)} is given twice`);
    seen.add(url);
  }
  if (problems.length > 0) {
    throw new UserError(
      `Bad replica URL(s) in ${source}:\n  ${problems.join("\n  ")}\n` +
        `Expected one postgres://USER:PASSWORD@HOST:PORT/DATABASE per replica: repeat --replica URL, or set ${REPLICA_URLS_ENV}=URL1,URL2 ` +
        `(for the embedded replicas: export ${REPLICA_URLS_ENV}=$(npm run -s db:status -- --replica-urls)).`,
      EXIT.usage,
    );
  }
  return urls.map((url) => ({ url, display: maskUrl(url), source: "DATABASE_URL" as const }));
}
