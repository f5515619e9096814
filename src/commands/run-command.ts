// The one error path of every command: runCommand prints an expected failure
// once (no stack trace) and exits with its documented code. A database that
// fails under a command — the connection lost mid-work, a statement cancelled
// by statement_timeout or an operator, a lock not granted in time — is an
// expected failure too, whichever layer it surfaced from; anything else is a
// bug and keeps its stack trace.
//
// Ctrl-C (SIGINT) and SIGTERM: the command stops and prints ONE line saying
// what was interrupted and what state it leaves (each command supplies that
// text, kept current as its work moves on), then exits 130 / 143 (128 + the
// signal's number, what a shell reports). A second signal exits at once.
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

/** Exit codes of a command stopped by a signal (README "Exit codes"). */
export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

export interface CommandContext {
  /**
   * What an interruption now would leave behind, as the end of the one line
   * printed ("migration 000013 interrupted; the server may still be building
   * idx_x; re-run npm run migrate"). Call again as the work moves on, or pass
   * a function read when the signal arrives.
   */
  setInterruptedState(state: string | (() => string)): void;
  /** Work to finish before exiting on a signal (serve closes its server); bounded by a second signal. */
  onInterrupt(stop: () => Promise<void>): void;
}

/** What every src/commands/<verb>.ts exports as `main`: flags in, exit code out (undefined = 0). */
export type CommandMain = (argv: string[], context: CommandContext) => Promise<number | void>;

/**
 * Run a command's main function with the shared error handling and the
 * shared SIGINT/SIGTERM handling.
 */
export async function runCommand(main: (context: CommandContext) => Promise<number | void>, name = "the command"): Promise<void> {
  // Commands whose interruption leaves something to say set their own text.
  let state: string | (() => string) = `${name} interrupted before it finished: what it wrote so far stays, nothing else ran; run it again`;
  let stop: (() => Promise<void>) | undefined;
  let stopping = false;
  const onSignal = (signal: keyof typeof SIGNAL_EXIT) => {
    if (stopping) process.exit(SIGNAL_EXIT[signal]);
    stopping = true;
    const line = typeof state === "function" ? state() : state;
    const finish = () => {
      // Below any progress bar's last line.
      process.stderr.write(`\n${line} (${signal}, exit ${SIGNAL_EXIT[signal]})\n`);
      process.exit(SIGNAL_EXIT[signal]);
    };
    if (stop) stop().then(finish, finish);
    else finish();
  };
  const onSigint = () => onSignal("SIGINT");
  const onSigterm = () => onSignal("SIGTERM");
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  const context: CommandContext = {
    setInterruptedState: (text) => void (state = text),
    onInterrupt: (fn) => void (stop = fn),
  };
  try {
    const code = await main(context);
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
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigterm);
  }
}
