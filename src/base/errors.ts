// One error path for every command: an expected failure is a UserError with a
// message that says what is wrong, what was expected and the fix; runCommand
// prints it once (no stack trace) and exits with its documented code.
// Anything else is a bug and keeps its stack trace.

/** Exit codes shared by all commands (docs/troubleshooting.md "Exit codes"). */
export const EXIT = {
  ok: 0,
  /** Unexpected internal error (a bug: the stack trace is printed). */
  internal: 1,
  /** Bad input: unknown flag, bad value, invalid config or catalog file. */
  usage: 2,
  /** The database cannot be reached or the URL is malformed. */
  unreachable: 3,
  /** The server is reachable but not prepared (no pg_stat_statements, no schema, empty). */
  notReady: 4,
  /** The work ran and its result is below the bar (verify grade, invalid index, failed migration). */
  failed: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class UserError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode = EXIT.usage) {
    super(message);
    this.name = "UserError";
    this.exitCode = exitCode;
  }
}
