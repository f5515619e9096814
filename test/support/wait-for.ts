// Tests wait on state, never on elapsed time: poll until a condition holds.

/** Poll `read` until `accept` holds; fail with the last value seen after the deadline. */
export async function waitFor<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string, deadlineMs = 30_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (accept(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 2000)}`);
}
