/**
 * Canary analysis, the pure part: whether a traffic step may go on, judged from the new revision's
 * own traffic against the revision it replaces over the same window. Success rate from Azure
 * Monitor's `Requests` (5xx share per revision), latency from the environment's HTTP logs (p95 and
 * p99 per revision). Windows start at the shift and are read only once the ingestion delay has
 * passed; too few requests is inconclusive, never a pass: the step holds and its window grows, up
 * to a limit, then the configured verdict (fail by default) applies. The I/O is in
 * src/azure/monitor.ts; the rollout calls `analyseStep` between steps.
 */

export interface AnalysisSettings {
  /** Seconds of traffic one check covers (default 60). */
  intervalSeconds: number;
  /** Seconds metrics and logs take to arrive: a window is read this long after it ends (default 180). */
  ingestionDelaySeconds: number;
  /** The candidate's 5xx share may not exceed this, in percent (default 1). */
  maxErrorPercent: number;
  /** Nor this many times the baseline's share, when the baseline served enough requests and had 5xx (default 2). */
  maxErrorRatio: number;
  /** Requests the candidate must serve in a window before it can be judged (default 50). */
  minRequests: number;
  /** Failed checks that fail the step; a failed check below it is followed by a fresh window (default 1). */
  failureLimit: number;
  /** The candidate's p95 may not exceed this many times the baseline's (default 2; 0 turns it off). */
  maxP95Ratio: number;
  /** The candidate's p99 may not exceed this many times the baseline's (default 0: off). */
  maxP99Ratio: number;
  /** Absolute p99 bound in ms (default 0: off), e.g. a service level of 200 ms. */
  maxP99Ms: number;
  /** What a step with too little traffic ends as once it may extend no more (default fail). */
  inconclusive: 'fail' | 'pass';
  /** Intervals a step's window may grow by while traffic is too thin (default 3). */
  maxExtensions: number;
}

/** `auto`: on whenever a traffic step gives the new revision part of the traffic (there is a revision to compare with). */
export const analysisModes = ['auto', 'on', 'off'] as const;

export const DEFAULT_ANALYSIS: AnalysisSettings = {
  intervalSeconds: 60,
  ingestionDelaySeconds: 180,
  maxErrorPercent: 1,
  maxErrorRatio: 2,
  minRequests: 50,
  failureLimit: 1,
  maxP95Ratio: 2,
  maxP99Ratio: 0,
  maxP99Ms: 0,
  inconclusive: 'fail',
  maxExtensions: 3,
};

/** Latency ratios ignore differences below this: on a fast endpoint, 1 ms against 3 ms is noise, not a regression. */
export const LATENCY_NOISE_MS = 10;

/** What one revision served in a window. */
export interface RevisionCounts {
  revision: string;
  requests: number;
  /** Requests answered 5xx. */
  errors: number;
  /** Latency percentiles in ms, from the HTTP logs; absent when the logs had none of its requests. */
  p95Ms?: number;
  p99Ms?: number;
}

/** `[from, to)` in ms since the epoch. */
export interface Window {
  from: number;
  to: number;
}

export type Verdict = { kind: 'pass'; reason: string } | { kind: 'fail'; reason: string } | { kind: 'inconclusive'; reason: string };

export function errorPercent(counts: RevisionCounts): number {
  return counts.requests > 0 ? (counts.errors / counts.requests) * 100 : 0;
}

/** One check: the candidate against the baseline over the same window. */
export function judge(candidate: RevisionCounts, baseline: RevisionCounts | undefined, settings: AnalysisSettings): Verdict {
  const share = errorPercent(candidate);
  const seen = `${candidate.revision} served ${candidate.requests} requests, ${candidate.errors} 5xx (${percent(share)})`;
  if (candidate.requests < settings.minRequests)
    return { kind: 'inconclusive', reason: `${seen}: fewer than min-requests (${settings.minRequests}) to tell.` };
  if (share > settings.maxErrorPercent)
    return { kind: 'fail', reason: `${seen}: its 5xx share is above ${percent(settings.maxErrorPercent)}.` };
  // A baseline too thin to compare with is no yardstick yet: hold for more, rather than pass on the absolute bounds alone.
  if (baseline !== undefined && baseline.requests < settings.minRequests)
    return {
      kind: 'inconclusive',
      reason: `${seen}, but ${baseline.revision} served only ${baseline.requests} requests: fewer than min-requests (${settings.minRequests}) to compare with.`,
    };
  const baselineKnown = baseline !== undefined;
  const baseShare = baseline ? errorPercent(baseline) : 0;
  // Against a baseline with no 5xx every error is "infinitely" worse: the absolute bound decides that case.
  if (baselineKnown && baseShare > 0 && share > settings.maxErrorRatio * baseShare)
    return {
      kind: 'fail',
      reason: `${seen}: more than ${settings.maxErrorRatio}x the 5xx share of ${baseline.revision} (${percent(baseShare)} of ${baseline.requests}).`,
    };
  if (settings.maxP99Ms > 0 && candidate.p99Ms !== undefined && candidate.p99Ms > settings.maxP99Ms)
    return { kind: 'fail', reason: `${seen}: its p99 latency ${ms(candidate.p99Ms)} is above ${ms(settings.maxP99Ms)}.` };
  // Latency the logs do not have yet (or at all: HTTP logs not sent to the workspace) is unknown, not fine.
  const needed: (readonly [RevisionCounts, 'p95Ms' | 'p99Ms'])[] = [
    ...(baselineKnown && settings.maxP95Ratio > 0
      ? ([
          [candidate, 'p95Ms'],
          [baseline, 'p95Ms'],
        ] as const)
      : []),
    ...(baselineKnown && settings.maxP99Ratio > 0
      ? ([
          [candidate, 'p99Ms'],
          [baseline, 'p99Ms'],
        ] as const)
      : []),
    ...(settings.maxP99Ms > 0 ? ([[candidate, 'p99Ms']] as const) : []),
  ];
  const missing = needed.find(([counts, percentile]) => counts[percentile] === undefined)?.[0];
  if (missing)
    return {
      kind: 'inconclusive',
      reason: `${seen}, but there is no latency for ${missing === candidate ? 'it' : missing.revision} in ContainerAppHTTPLogs yet (does the environment send its HTTP logs to the workspace?).`,
    };
  for (const [name, ratio, own, theirs] of [
    ['p95', settings.maxP95Ratio, candidate.p95Ms, baseline?.p95Ms],
    ['p99', settings.maxP99Ratio, candidate.p99Ms, baseline?.p99Ms],
  ] as const) {
    if (ratio > 0 && baselineKnown && own !== undefined && theirs !== undefined && own > ratio * theirs && own - theirs > LATENCY_NOISE_MS)
      return {
        kind: 'fail',
        reason: `${seen}: its ${name} latency ${ms(own)} is more than ${ratio}x ${baseline.revision}'s ${ms(theirs)}.`,
      };
  }
  return {
    kind: 'pass',
    reason: `${seen}${candidate.p95Ms !== undefined ? `, p95 ${ms(candidate.p95Ms)}` : ''}: within bounds.`,
  };
}

/** Where a step's analysis is: the window being read, failed checks, extensions used. */
export interface StepState {
  window: Window;
  failures: number;
  extensions: number;
}

/** What to do after a check: the step passes or fails, or another window is read. */
export type Decision =
  { kind: 'pass'; reason: string } | { kind: 'fail'; reason: string } | { kind: 'next'; state: StepState; reason: string };

/** The first window of a step whose shift took effect at `shiftedAt`. */
export function firstState(shiftedAt: number, settings: AnalysisSettings): StepState {
  return { window: { from: shiftedAt, to: shiftedAt + settings.intervalSeconds * 1000 }, failures: 0, extensions: 0 };
}

/** When a window may be read: once its end is older than the ingestion delay. */
export function readableAt(window: Window, settings: AnalysisSettings): number {
  return window.to + settings.ingestionDelaySeconds * 1000;
}

/**
 * The next move after a check. A failed check counts towards the failure limit and the next window
 * starts afresh; an inconclusive one grows the same window by an interval (its requests still
 * count), until the extensions run out and the configured verdict applies.
 */
export function decide(state: StepState, verdict: Verdict, settings: AnalysisSettings): Decision {
  const interval = settings.intervalSeconds * 1000;
  if (verdict.kind === 'pass') return { kind: 'pass', reason: verdict.reason };
  if (verdict.kind === 'fail') {
    const failures = state.failures + 1;
    if (failures >= settings.failureLimit)
      return {
        kind: 'fail',
        reason: `${verdict.reason} (${failures} failed check${failures === 1 ? '' : 's'}, failure-limit ${settings.failureLimit})`,
      };
    return {
      kind: 'next',
      state: { window: { from: state.window.to, to: state.window.to + interval }, failures, extensions: state.extensions },
      reason: `${verdict.reason} Check ${failures} of ${settings.failureLimit} failed: reading the next window.`,
    };
  }
  if (state.extensions >= settings.maxExtensions) {
    const held = `Inconclusive after ${state.extensions} extension${state.extensions === 1 ? '' : 's'}: ${verdict.reason}`;
    return settings.inconclusive === 'pass'
      ? { kind: 'pass', reason: `${held} Passed as analysis-inconclusive says.` }
      : {
          kind: 'fail',
          reason: `${held} Give the step more traffic or time (analysis-max-extensions), lower analysis-min-requests, or set analysis-inconclusive: pass.`,
        };
  }
  return {
    kind: 'next',
    state: {
      window: { from: state.window.from, to: state.window.to + interval },
      failures: state.failures,
      extensions: state.extensions + 1,
    },
    reason: `${verdict.reason} Holding: the window grows by ${settings.intervalSeconds} s (extension ${state.extensions + 1} of ${settings.maxExtensions}).`,
  };
}

/** One check as the job summary shows it. */
export interface CheckRecord {
  step: number;
  window: Window;
  revisions: RevisionCounts[];
  verdict: Verdict['kind'];
  reason: string;
}

/**
 * The job summary's table: per step and check, each revision's requests, 5xx share and p95.
 * Revision names are Azure's (lower-case letters, digits and dashes), so nothing here is Markdown.
 */
/**
 * The 5xx share of each check as a chart (GitHub renders mermaid in Markdown): the new revision's as bars,
 * the previous revision's as a line, so a step that went wrong stands out. Only numbers and labels made
 * here go into it, never a name from Azure.
 */
export function renderChart(checks: CheckRecord[]): string {
  if (checks.length === 0) return '';
  const share = (counts: RevisionCounts | undefined) => (counts ? Number(errorPercent(counts).toFixed(2)) : 0);
  const labels = checks.map((check, index) => `"${check.step}% (${index + 1})"`);
  const candidate = checks.map((check) => share(check.revisions[0]));
  const baseline = checks.map((check) => share(check.revisions[1]));
  const top = Math.max(1, ...candidate, ...baseline);
  return [
    '```mermaid',
    'xychart-beta',
    '  title "5xx share per check, %: new revision (bars), previous (line)"',
    `  x-axis [${labels.join(', ')}]`,
    `  y-axis "5xx %" 0 --> ${Math.ceil(top)}`,
    `  bar [${candidate.join(', ')}]`,
    `  line [${baseline.join(', ')}]`,
    '```',
  ].join('\n');
}

export function renderChecks(checks: CheckRecord[]): string {
  if (checks.length === 0) return '';
  const rows = checks.flatMap((check) =>
    check.revisions.map(
      (counts, index) =>
        `| ${index === 0 ? `${check.step}%` : ''} | ${index === 0 ? `${seconds(check.window.to - check.window.from)}` : ''} | ${safe(counts.revision)} | ${counts.requests} | ${percent(errorPercent(counts))} | ${counts.p95Ms !== undefined ? ms(counts.p95Ms) : '-'} | ${index === 0 ? check.verdict : ''} |`,
    ),
  );
  return ['| Step | Window | Revision | Requests | 5xx | p95 | Check |', '|---|---|---|---|---|---|---|', ...rows].join('\n');
}

function safe(text: string): string {
  return text.replace(/[^a-z0-9-]/gi, '');
}

function percent(value: number): string {
  return `${Number(value.toFixed(2))}%`;
}

function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

function seconds(value: number): string {
  return `${Math.round(value / 1000)} s`;
}

/** Reads each revision's counts for a window: Azure Monitor in src/azure/monitor.ts, anything in tests. */
export interface WindowReader {
  read(window: Window, revisions: string[]): Promise<RevisionCounts[]>;
}

export interface StepAnalysis {
  reader: WindowReader;
  settings: AnalysisSettings;
  /** The candidate's share in this step, in percent. */
  step: number;
  /** When this step's traffic took effect (ms since the epoch). */
  shiftedAt: number;
  candidate: string;
  /** The revision it replaces, when there is one. */
  baseline?: string;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  log: (line: string) => void;
  /** Every check is added here, for the job summary. */
  checks: CheckRecord[];
}

/** Checks a step window by window until it passes or fails; the rollout treats a fail like a failed probe. */
export async function analyseStep(analysis: StepAnalysis): Promise<{ kind: 'pass' | 'fail'; reason: string }> {
  const { reader, settings, candidate, baseline } = analysis;
  let state = firstState(analysis.shiftedAt, settings);
  for (;;) {
    const wait = readableAt(state.window, settings) - analysis.now();
    if (wait > 0) await analysis.sleep(wait);
    const revisions = await reader.read(state.window, baseline ? [candidate, baseline] : [candidate]);
    const own = revisions.find((counts) => counts.revision === candidate) ?? { revision: candidate, requests: 0, errors: 0 };
    const verdict = judge(
      own,
      revisions.find((counts) => counts.revision === baseline),
      settings,
    );
    analysis.checks.push({ step: analysis.step, window: state.window, revisions, verdict: verdict.kind, reason: verdict.reason });
    const decision = decide(state, verdict, settings);
    analysis.log(`Analysis at ${analysis.step}%: ${decision.reason}`);
    if (decision.kind !== 'next') return decision;
    state = decision.state;
  }
}
