// History windows as people write them: ?since=30m, 1h, 7d.
export const WINDOW_FORMS = "a whole number followed by m (minutes), h (hours) or d (days), e.g. 30m, 1h, 24h, 7d";
/** Longest window: history older than this is pruned anyway (SPACE_RETENTION_DAYS). */
export const WINDOW_MAX_DAYS = 90;

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export interface HistoryWindow {
  /** As given, e.g. "1h". */
  readonly label: string;
  readonly ms: number;
}

/** Parse a window; throws a RangeError naming the accepted forms. */
export function parseWindow(raw: string): HistoryWindow {
  const m = /^\s*(\d{1,6})\s*([mhd])\s*$/i.exec(raw);
  const ms = m ? Number(m[1]) * UNIT_MS[m[2]!.toLowerCase() as keyof typeof UNIT_MS] : NaN;
  if (!m || !(ms > 0) || ms > WINDOW_MAX_DAYS * UNIT_MS.d) {
    throw new RangeError(`'since' must be ${WINDOW_FORMS}, from 1m up to ${WINDOW_MAX_DAYS}d; got '${raw}'`);
  }
  return { label: `${Number(m[1])}${m[2]!.toLowerCase()}`, ms };
}
