// Which database a piece of code works on, as data: a validated URL and the
// same URL with its secrets masked for messages and reports. Pure: nothing
// here opens a socket or starts a server (see src/embedded/resolve.ts for the
// commands' "DATABASE_URL or the embedded server").
import { EXIT, UserError } from "../base/errors.ts";

export interface DatabaseTarget {
  /** Full URL (holds the password: never print it, use `display`). */
  readonly url: string;
  /** The URL with the password masked, for messages and reports. */
  readonly display: string;
  /** Where the URL came from, for messages ("DATABASE_URL", "embedded", "--replica", ...). */
  readonly source: string;
  /** graphile-migrate's shadow and root URLs, when known. */
  readonly shadowUrl?: string;
  readonly rootUrl?: string;
}

/** Mask the password in a connection URL; unparsable input is masked whole. */
export function maskUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = "****";
    // libpq and node-postgres also take the password as a query parameter.
    for (const key of [...url.searchParams.keys()]) {
      if (/^(ssl)?password$/i.test(key)) url.searchParams.set(key, "****");
    }
    return url.toString();
  } catch {
    return "<unparsable URL>";
  }
}

/** The problems with a PostgreSQL connection URL (empty when valid). */
export function databaseUrlProblems(raw: string): string[] {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return ["it is not a valid URL"];
  }
  const problems: string[] = [];
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") problems.push(`scheme is '${url.protocol.replace(/:$/, "")}', expected 'postgres' or 'postgresql'`);
  if (!url.hostname) problems.push("host is missing");
  if (url.port && !(Number(url.port) >= 1 && Number(url.port) <= 65535)) problems.push(`port '${url.port}' is not 1-65535`);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (!database) problems.push("database name is missing (the path after the port)");
  else if (database.includes("/")) problems.push(`database name '${database}' contains '/'`);
  return problems;
}

/** Validate a PostgreSQL connection URL; throws one UserError (exit 2) listing every problem. */
export function parseDatabaseUrl(raw: string, name = "DATABASE_URL"): URL {
  const problems = databaseUrlProblems(raw);
  if (problems.length > 0) {
    throw new UserError(
      `${name} (${maskUrl(raw)}) is invalid: ${problems.join("; ")}. Expected postgres://USER:PASSWORD@HOST:PORT/DATABASE, e.g. postgres://app:secret@127.0.0.1:5432/bollalabz`,
      EXIT.usage,
    );
  }
  return new URL(raw);
}

/** A target for a URL the caller already has (validated; `name` is used in messages). */
export function targetFromUrl(url: string, source = "DATABASE_URL", extra: Pick<DatabaseTarget, "shadowUrl" | "rootUrl"> = {}): DatabaseTarget {
  parseDatabaseUrl(url, source);
  return { url, display: maskUrl(url), source, ...extra };
}

/** The same server, another database (e.g. the `postgres` maintenance database). */
export function withDatabase(target: DatabaseTarget, database: string): DatabaseTarget {
  const url = new URL(target.url);
  url.pathname = `/${encodeURIComponent(database)}`;
  return { url: url.toString(), display: maskUrl(url.toString()), source: target.source };
}
