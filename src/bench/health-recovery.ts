// How long GET /health stays 503 after the database accepts connections again.
// The caller owns the server (stop/start callbacks) and the probe; this
// module only polls and times, so a test and `npm run bench -- health-recovery`
// measure the same thing.

export interface RecoveryProbe {
  /** Make the database unreachable (e.g. stop the server). */
  stop(): Promise<void> | void;
  /** Make it reachable again; resolves once the server accepts connections. */
  start(): Promise<void> | void;
  /** One health request: its HTTP status. */
  health(): Promise<number>;
}

export interface RecoveryMeasurement {
  /** 503 answers seen while the database was down (each one is a failed connect that grows a client's backoff). */
  readonly downAnswers: number;
  /** From start() resolving (server accepting connections) to the first 200. */
  readonly recoveryMs: number;
  readonly recovered: boolean;
}

export interface RecoveryOptions {
  /** How long to keep probing while the database is down (longer = more failed connects). Default 5 s. */
  readonly downForMs?: number;
  /**
   * Keep probing while down until at least this many 503 answers too (default 0). A count, not a
   * time: on a busy machine each failed probe can take its whole deadline, so a fixed window may
   * hold only a few failed connects.
   */
  readonly minDownAnswers?: number;
  /** Pause between probes. Default 50 ms. */
  readonly pollMs?: number;
  /** Give up waiting for a 200 after this long. Default 30 s. */
  readonly deadlineMs?: number;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function measureHealthRecovery(probe: RecoveryProbe, options: RecoveryOptions = {}): Promise<RecoveryMeasurement> {
  const pollMs = options.pollMs ?? 50;
  await probe.stop();
  let downAnswers = 0;
  const downUntil = performance.now() + (options.downForMs ?? 5_000);
  const minDownAnswers = options.minDownAnswers ?? 0;
  while (performance.now() < downUntil || downAnswers < minDownAnswers) {
    if ((await probe.health()) !== 200) downAnswers++;
    await pause(pollMs);
  }
  await probe.start();
  const started = performance.now();
  const giveUp = started + (options.deadlineMs ?? 30_000);
  while (performance.now() < giveUp) {
    if ((await probe.health()) === 200) return { downAnswers, recoveryMs: performance.now() - started, recovered: true };
    await pause(pollMs);
  }
  return { downAnswers, recoveryMs: performance.now() - started, recovered: false };
}
