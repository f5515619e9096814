// Every node of the embedded setup (the primary and its local replicas) with
// its role, port and replication figures, for `npm run db:status`.
import { classifyConnectionError, maskUrl, openSql, type Sql } from "../db/index.ts";
import { replicaStates, standbyLag, type ReplicaState, type StandbyLag } from "../replication/status.ts";
import { describeReplica } from "./replicas.ts";
import { embeddedStatus } from "./server.ts";

export interface NodeStatus {
  readonly name: string;
  readonly role: "primary" | "standby";
  readonly port: number;
  readonly running: boolean;
  readonly pid: number | null;
  /** Password masked. */
  readonly url: string;
  readonly dataDir: string;
  readonly logFile: string;
  /** Standbys: lag measured on the standby (postgres_exporter's pg_replication_lag_seconds). */
  readonly lag: StandbyLag | null;
  /** Standbys: the primary's view of it (slot active, WAL retained, lag in bytes). */
  readonly fromPrimary: ReplicaState | null;
  /** Why a figure is missing (e.g. the node does not answer). */
  readonly problem: string | null;
}

async function query<T>(url: string, fn: (sql: Sql) => Promise<T>): Promise<{ value: T | null; problem: string | null }> {
  const sql = openSql({ url }, { max: 1, connectTimeoutSeconds: 3, applicationName: "bollalabz-db/status" });
  try {
    return { value: await fn(sql), problem: null };
  } catch (error) {
    // A node that does not answer is a row of the status, not a failed command.
    const fault = classifyConnectionError(error);
    const e = error as { code?: string; message?: string };
    return { value: null, problem: fault ? `${fault.short}. ${fault.fix}` : `${e.code ?? "error"}: ${e.message ?? String(error)}` };
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/** undefined when the embedded server was never initialised. */
export async function embeddedNodes(baseDir: string): Promise<NodeStatus[] | undefined> {
  const status = embeddedStatus(baseDir);
  if (!status.server || !status.initialised) return undefined;
  const s = status.server;
  const fromPrimary = status.running ? await query(s.databaseUrl, replicaStates) : { value: null, problem: "not running" };
  const nodes: NodeStatus[] = [
    {
      name: "primary",
      role: "primary",
      port: s.port,
      running: status.running,
      pid: s.pid ?? null,
      url: maskUrl(s.databaseUrl),
      dataDir: s.dataDir,
      logFile: s.logFile,
      lag: null,
      fromPrimary: null,
      problem: status.running ? fromPrimary.problem : null,
    },
  ];
  for (const r of (s.replicas ?? []).map((x) => describeReplica(s, x))) {
    const running = r.pid !== undefined;
    const lag = running ? await query(r.databaseUrl, standbyLag) : { value: null, problem: "not running" };
    nodes.push({
      name: r.name,
      role: "standby",
      port: r.port,
      running,
      pid: r.pid ?? null,
      url: maskUrl(r.databaseUrl),
      dataDir: r.dataDir,
      logFile: r.logFile,
      lag: lag.value,
      fromPrimary: fromPrimary.value?.find((x) => x.slotName === r.slot) ?? null,
      problem: lag.problem,
    });
  }
  return nodes;
}

const fmtBytes = (n: number | null | undefined) => (n === null || n === undefined ? "-" : n < 1024 * 1024 ? `${(n / 1024).toFixed(0)} kB` : `${(n / 1024 / 1024).toFixed(1)} MB`);

export function formatNodes(version: string, nodes: readonly NodeStatus[]): string {
  const rows = nodes.map((n) => [
    n.name,
    n.role,
    String(n.port),
    n.running ? `running (pid ${n.pid})` : "stopped",
    n.role === "primary" ? "-" : n.lag ? `${n.lag.lagSeconds.toFixed(3)} s` : "-",
    n.role === "primary" ? "-" : fmtBytes(n.fromPrimary?.lagBytes),
    n.role === "primary" ? "-" : n.fromPrimary ? `${n.fromPrimary.slotActive ? "active" : "INACTIVE"}, holds ${fmtBytes(n.fromPrimary.retainedBytes)}` : "-",
  ]);
  const header = ["node", "role", "port", "state", "lag", "lag bytes", "slot"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  const out = [`embedded PostgreSQL ${version.split("-")[0]}`, line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line), ""];
  for (const n of nodes) {
    out.push(`${n.name}: ${n.url}`, `  data dir: ${n.dataDir}`, `  log:      ${n.logFile}`);
    if (n.problem && n.running) out.push(`  problem:  ${n.problem}`);
  }
  return out.join("\n");
}

