/** ISO 8601 durations and intervals as Azure Monitor's APIs take them (`PT5M`, `P1D`, `start/end`, `start/PT1H`, `PT12H`). */

/** Milliseconds of an ISO 8601 duration such as `PT1M30S` or `P1DT2H`; undefined when it is not one. */
export function durationMs(text: string): number | undefined {
  const match = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text.trim());
  if (!match || text.trim().toUpperCase() === 'P' || /T$/i.test(text.trim())) return undefined;
  const [, days = '0', hours = '0', minutes = '0', seconds = '0'] = match;
  return ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 + Number(seconds) * 1000;
}

/** `[from, to)` in ms from `start/end`, `start/duration`, `duration/end` or a duration ending now; undefined when unreadable. */
export function timespanOf(text: string, now = Date.now()): { from: number; to: number } | undefined {
  const [first = '', second] = text.split('/');
  if (second === undefined) {
    const length = durationMs(first);
    return length === undefined ? undefined : { from: now - length, to: now };
  }
  const start = Date.parse(first);
  const end = Date.parse(second);
  if (Number.isFinite(start) && Number.isFinite(end)) return end > start ? { from: start, to: end } : undefined;
  if (Number.isFinite(start) && durationMs(second) !== undefined) return { from: start, to: start + (durationMs(second) as number) };
  if (Number.isFinite(end) && durationMs(first) !== undefined) return { from: end - (durationMs(first) as number), to: end };
  return undefined;
}
