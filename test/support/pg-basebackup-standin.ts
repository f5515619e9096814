// pg_basebackup for the replica entrypoint test on a machine that has no
// PostgreSQL client tools (no npm package ships pg_basebackup; the postgres
// image does). It clones the primary the way `npm run db:start -- --replicas`
// does (src/embedded/replicas.ts: the low-level backup API and a copy of the
// data directory, same host) and writes what the flags the entrypoint passes
// ask for, as pg_basebackup does:
//   --pgdata=DIR -h HOST -p PORT -U ROLE  the clone and the connection (the
//        password from $PGPASSFILE, the entrypoint's copy: the file is tested);
//   -R   standby.signal, and primary_conninfo naming the password file;
//   -S   primary_slot_name;
//   --no-password, -X stream, -c fast: what it does anyway (no prompt; the
//        standby streams its WAL through the slot; a fast checkpoint).
// Any other flag is an error: the entrypoint changed and this must follow.
// Run by the test as `pg_basebackup` on PATH; the primary's data directory
// comes from PG_BASEBACKUP_STANDIN_PRIMARY_DATA (set by the wrapper).
import { appendFileSync, chownSync, lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { baseBackupByCopy, confString, conninfoValue } from "../../src/embedded/replicas.ts";

function parse(argv: readonly string[]) {
  const out: { pgdata?: string; host?: string; port?: number; user?: string; slot?: string; writeRecovery: boolean } = { writeRecovery: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = () => argv[++i] ?? "";
    if (arg.startsWith("--pgdata=")) out.pgdata = arg.slice("--pgdata=".length);
    else if (arg === "-h") out.host = next();
    else if (arg === "-p") out.port = Number(next());
    else if (arg === "-U") out.user = next();
    else if (arg === "-S") out.slot = next();
    else if (arg === "-R") out.writeRecovery = true;
    else if (arg === "-X" && next() === "stream") continue;
    else if (arg === "-c" && next() === "fast") continue;
    else if (arg === "--no-password") continue;
    else throw new Error(`pg_basebackup stand-in: unexpected argument ${arg}`);
  }
  return out;
}

/** The password of host:port:replication:user in a libpq password file (`\` escapes). */
function passwordFromFile(file: string, host: string, port: number, user: string): string {
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const fields: string[] = [];
    let field = "";
    for (let i = 0; i < line.length; i++) {
      if (line[i] === "\\" && i + 1 < line.length) field += line[++i];
      else if (line[i] === ":") {
        fields.push(field);
        field = "";
      } else field += line[i];
    }
    fields.push(field);
    if (fields.length === 5 && fields[0] === host && fields[1] === String(port) && fields[2] === "replication" && fields[3] === user) return fields[4]!;
  }
  throw new Error(`pg_basebackup stand-in: no line for ${host}:${port}:replication:${user} in ${file}`);
}

function chownLike(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  if (lstatSync(dir).isDirectory()) for (const e of readdirSync(dir)) chownLike(path.join(dir, e), uid, gid);
}

const args = parse(process.argv.slice(2));
const from = process.env.PG_BASEBACKUP_STANDIN_PRIMARY_DATA;
const passfile = process.env.PGPASSFILE;
if (!args.pgdata || !args.host || !args.port || !args.user || !from || !passfile) {
  throw new Error("pg_basebackup stand-in: needs --pgdata, -h, -p, -U, PGPASSFILE and PG_BASEBACKUP_STANDIN_PRIMARY_DATA");
}
const password = passwordFromFile(passfile, args.host, args.port, args.user);
const sql = postgres({ host: args.host, port: args.port, user: args.user, password, database: "postgres", max: 1, onnotice: () => {} });
try {
  await baseBackupByCopy(sql, { from, to: args.pgdata, label: "pg_basebackup stand-in" });
} finally {
  await sql.end({ timeout: 5 });
}
if (args.writeRecovery) {
  writeFileSync(path.join(args.pgdata, "standby.signal"), "");
  const conninfo = [`user=${conninfoValue(args.user)}`, `passfile=${conninfoValue(passfile)}`, `host=${conninfoValue(args.host)}`, `port=${args.port}`].join(" ");
  appendFileSync(
    path.join(args.pgdata, "postgresql.auto.conf"),
    `primary_conninfo = ${confString(conninfo)}\n${args.slot ? `primary_slot_name = ${confString(args.slot)}\n` : ""}`,
  );
}
// Owned as pg_basebackup run by the server's user leaves it (the entrypoint made PGDATA that user's).
const owner = statSync(args.pgdata);
chownLike(args.pgdata, owner.uid, owner.gid);
