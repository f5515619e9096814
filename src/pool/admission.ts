// A counting gate in front of postgres.js: at most `max` queries (or open
// transactions / reserved connections) run at once, the rest wait in FIFO
// order for at most `queueTimeoutMs`, then fail with POOL_QUEUE_TIMEOUT.
//
// Why: postgres.js queues excess queries without a bound and, when every
// connection is busy, pipelines them behind running ones (a 10 s query would
// hold up the queries pipelined behind it). With the gate each query gets a
// connection of its own, waiting is bounded, and busy/waiting are exact.

export class PoolQueueTimeoutError extends Error {
  readonly code = "POOL_QUEUE_TIMEOUT";
  constructor(max: number, waitedMs: number) {
    super(
      `Connection pool exhausted: all ${max} connections stayed busy for ${waitedMs} ms (POOL_QUEUE_TIMEOUT_MS). ` +
        `Look for slow or stuck queries (GET /api/v1/health/database/slow-queries), or raise POOL_MAX within max_connections.`,
    );
    this.name = "PoolQueueTimeoutError";
  }
}

export class PoolClosedError extends Error {
  readonly code = "POOL_CLOSED";
  constructor() {
    super("The connection pool is closed");
    this.name = "PoolClosedError";
  }
}

export interface Ticket {
  /** Resolves when a slot is held; rejects on queue timeout or close. */
  readonly ready: Promise<void>;
  /** Give the slot back (or leave the queue). Idempotent. */
  done(): void;
  /** ms spent waiting for the slot (0 when admitted at once). */
  waitedMs(): number;
}

interface Waiter {
  admit(): void;
  fail(error: Error): void;
}

export class AdmissionGate {
  private held = 0;
  private readonly queue = new Set<Waiter>();
  private closed = false;
  private peaks = { busy: 0, waiting: 0, queued: 0 };
  readonly max: number;
  private readonly queueTimeoutMs: number;

  constructor(max: number, queueTimeoutMs: number) {
    this.max = max;
    this.queueTimeoutMs = queueTimeoutMs;
  }

  get busy(): number {
    return this.held;
  }

  get waiting(): number {
    return this.queue.size;
  }

  /** Highest busy and waiting counts, and how many entries had to queue, since the last resetPeaks(). */
  get peak(): { readonly busy: number; readonly waiting: number; readonly queued: number } {
    return { ...this.peaks };
  }

  resetPeaks(): void {
    this.peaks = { busy: this.held, waiting: this.queue.size, queued: 0 };
  }

  enter(): Ticket {
    const asked = performance.now();
    let admittedAt: number | undefined;
    let state: "waiting" | "held" | "done" = "waiting";
    let waiter: Waiter | undefined;
    let timer: NodeJS.Timeout | undefined;

    const ready = new Promise<void>((resolve, reject) => {
      if (this.closed) return reject(new PoolClosedError());
      const admit = () => {
        state = "held";
        admittedAt = performance.now();
        this.held++;
        if (this.held > this.peaks.busy) this.peaks.busy = this.held;
        resolve();
      };
      if (this.held < this.max && this.queue.size === 0) return admit();
      waiter = {
        admit: () => {
          clearTimeout(timer);
          this.queue.delete(waiter!);
          admit();
        },
        fail: (error) => {
          clearTimeout(timer);
          this.queue.delete(waiter!);
          state = "done";
          reject(error);
        },
      };
      this.queue.add(waiter);
      this.peaks.queued++;
      if (this.queue.size > this.peaks.waiting) this.peaks.waiting = this.queue.size;
      timer = setTimeout(() => waiter!.fail(new PoolQueueTimeoutError(this.max, this.queueTimeoutMs)), this.queueTimeoutMs);
    });
    // The caller may never look at `ready` (e.g. it gave up first).
    ready.catch(() => {});

    return {
      ready,
      done: () => {
        if (state === "held") {
          state = "done";
          this.held--;
          this.next();
        } else if (state === "waiting") {
          state = "done";
          if (waiter) {
            clearTimeout(timer);
            this.queue.delete(waiter);
          }
        }
      },
      waitedMs: () => (admittedAt === undefined ? performance.now() - asked : admittedAt - asked),
    };
  }

  private next(): void {
    while (this.held < this.max && this.queue.size > 0) {
      const first = this.queue.values().next().value as Waiter;
      first.admit();
    }
  }

  /** Fail every waiter and refuse new entries. */
  close(): void {
    this.closed = true;
    for (const waiter of [...this.queue]) waiter.fail(new PoolClosedError());
  }
}
