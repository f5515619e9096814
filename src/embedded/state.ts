// The embedded server's state file, <baseDir>/embedded.json (mode 600): its
// port, password, where the cluster lives, and its local replicas.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { EXIT, UserError } from "../base/errors.ts";

export interface EmbeddedState {
  readonly port: number;
  readonly password: string;
  readonly clusterDir: string;
  readonly database: string;
  readonly version: string;
  /** Password of the replication role (src/embedded/replicas.ts); set once a replica exists. */
  readonly replicationPassword?: string;
  /** Local hot standbys streaming from this server, in creation order. */
  readonly replicas?: readonly EmbeddedReplicaState[];
}

export interface EmbeddedReplicaState {
  /** replica-1, replica-2, ... (also its application_name on the primary) */
  readonly name: string;
  readonly port: number;
  /** Its physical replication slot on the primary. */
  readonly slot: string;
  /** Holds pgdata/ and postgres.log, inside the primary's cluster dir. */
  readonly dir: string;
}

export function stateFile(baseDir: string): string {
  return path.join(baseDir, "embedded.json");
}

export function readState(baseDir: string): EmbeddedState | undefined {
  const file = stateFile(baseDir);
  if (!existsSync(file)) return undefined;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      `Cannot read the embedded server's state file ${file} (${code}). It belongs to the user who started the server: ` +
        `run the commands as that user, or set EMBEDDED_PG_DIR to a folder of your own for a separate embedded server.`,
      EXIT.notReady,
    );
  }
  try {
    return JSON.parse(text) as EmbeddedState;
  } catch {
    throw new UserError(`The embedded server's state file ${file} is not valid JSON. Delete ${baseDir} to start over (this deletes the embedded data).`, EXIT.notReady);
  }
}

export function writeState(baseDir: string, state: EmbeddedState): void {
  mkdirSync(baseDir, { recursive: true });
  const file = stateFile(baseDir);
  writeFileSync(file, JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
  chmodSync(file, 0o600);
}
