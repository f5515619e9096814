// Tests wait on state, never on elapsed time: poll a condition until it holds,
// with a deadline generous enough for a machine under load (the deadline only
// turns a hang into a clear failure; it is not a speed assertion).

export interface WaitOptions {
  /** Give up after this long (default 60 s). */
  readonly timeoutMs?: number;
  /** Pause between polls (default 50 ms). */
  readonly intervalMs?: number;
}

/** Resolve with the first truthy value `probe` returns; throw naming `what` at the deadline. */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, options: WaitOptions = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}
