// One deadline for work the caller cannot cancel itself (a query already sent):
// the caller stops waiting after `ms` and answers; the work keeps running until
// the database answers, so its connection slot frees when it ends.

/** Rejects with `code: "DEADLINE"` ("<what> took longer than <ms> ms") when `work` has not settled within `ms`. */
export async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error(`${what} took longer than ${ms} ms`), { code: "DEADLINE" })), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
