// The one error path of every command: runCommand prints an expected failure
// once (no stack trace) and exits with its documented code. A database that
// fails under a command — the connection lost mid-work, a statement cancelled
// by statement_timeout or an operator, a lock not granted in time — is an
// expected failure too, whichever layer it surfaced from; anything else is a
// bug and keeps its stack trace.
import { classifyConnectionError } from "../db/errors.ts";
import { EXIT, UserError } from "../base/errors.ts";

/** Database failures every command may meet, as the UserError it prints; undefined for anything else. */
export function operationalFailure(error: unknown): UserError | undefined {
  if (error instanceof UserError) return error;
  const e = error as { code?: string; message?: string } | undefined;
  const fault = classifyConnectionError(error);
  if (fault) return new UserError(`The database connection failed mid-command: ${fault.short}. ${fault.fix}`, EXIT.unreachable);
  switch (e?.code) {
    case "57014":
      return new UserError(`A statement was cancelled (${e.message}): statement_timeout reached or an operator cancelled it. The server may be overloaded; run the command again when it is quieter.`, EXIT.failed);
    case "55P03":
      return new UserError(`A lock was not granted within lock_timeout (${e.message}): a long transaction holds it. Run again when it ends.`, EXIT.failed);
    case "53300":
      return new UserError(`The server refused the connection: ${e.message}. Close idle connections or raise max_connections.`, EXIT.unreachable);
    case "53100":
      return new UserError(`The server is out of disk space: ${e.message}. Free space on the database volume, then run again.`, EXIT.failed);
    default:
      return undefined;
  }
}

/** What every src/commands/<verb>.ts exports as `main`: flags in, exit code out (undefined = 0). */
export type CommandMain = (argv: string[]) => Promise<number | void>;

/** Run a command's main function with the shared error handling. */
export async function runCommand(main: () => Promise<number | void>): Promise<void> {
  try {
    const code = await main();
    process.exitCode = code ?? EXIT.ok;
  } catch (error) {
    const expected = operationalFailure(error);
    if (expected) {
      process.stderr.write(`error: ${expected.message}\n`);
      process.exitCode = expected.exitCode;
    } else {
      process.stderr.write(`internal error (please report it): ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = EXIT.internal;
    }
  }
}
