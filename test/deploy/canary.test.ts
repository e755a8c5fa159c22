/** The canary analysis's decisions from counts and percentiles: bounds, baseline ratios, latency, windows, holding and the failure limit. */
import { describe, expect, it } from 'vitest';
import {
  analyseStep,
  DEFAULT_ANALYSIS,
  decide,
  firstState,
  judge,
  readableAt,
  renderChecks,
  type AnalysisSettings,
  type CheckRecord,
  type RevisionCounts,
  type Window,
} from '../../src/deploy/canary.js';

const settings: AnalysisSettings = { ...DEFAULT_ANALYSIS };
const counts = (revision: string, requests: number, errors: number, p95Ms?: number, p99Ms?: number): RevisionCounts => ({
  revision,
  requests,
  errors,
  ...(p95Ms !== undefined ? { p95Ms } : {}),
  ...(p99Ms !== undefined ? { p99Ms } : {}),
});
const base = counts('app--old', 1000, 0, 20, 40);

describe('judge', () => {
  it.each([
    ['a clean candidate', counts('app--new', 200, 0, 22), 'pass'],
    ['exactly at the 1% bound', counts('app--new', 200, 2, 22), 'pass'],
    ['above the 1% bound', counts('app--new', 200, 3, 22), 'fail'],
    ['every 5th request a 500', counts('app--new', 100, 20, 22), 'fail'],
    ['too few requests, even if all failed', counts('app--new', 49, 49), 'inconclusive'],
    ['no traffic at all', counts('app--new', 0, 0), 'inconclusive'],
    ['a doubled p95 beyond the noise', counts('app--new', 200, 0, 300), 'fail'],
    ['a p95 just under 2x', counts('app--new', 200, 0, 39), 'pass'],
  ] as const)('%s: %s', (_what, candidate, kind) => {
    expect(judge(candidate, base, settings).kind).toBe(kind);
  });

  it('fails on twice the baseline’s 5xx share even under the absolute bound, once the baseline served enough', () => {
    const noisyBase = counts('app--old', 1000, 2, 20, 40); // 0.2%
    const verdict = judge(counts('app--new', 1000, 5, 20, 40), noisyBase, settings); // 0.5%
    expect(verdict).toMatchObject({
      kind: 'fail',
      reason: expect.stringMatching(/more than 2x the 5xx share of app--old \(0\.2% of 1000\)/),
    });
    expect(judge(counts('app--new', 1000, 4, 20, 40), noisyBase, settings).kind).toBe('pass'); // exactly 2x
    // A baseline with too few requests is no yardstick yet: the step holds for more, it does not pass on the absolute bound alone.
    expect(judge(counts('app--new', 1000, 5), counts('app--old', 10, 1), settings)).toMatchObject({
      kind: 'inconclusive',
      reason: expect.stringMatching(/app--old served only 10 requests/),
    });
  });

  it('ignores latency ratios within the noise of a fast endpoint, and without a baseline', () => {
    expect(judge(counts('app--new', 200, 0, 9, 9), counts('app--old', 1000, 0, 1, 1), settings).kind).toBe('pass');
    expect(judge(counts('app--new', 200, 0, 500), undefined, settings).kind).toBe('pass');
    expect(judge(counts('app--new', 200, 0, 500), base, { ...settings, maxP95Ratio: 0 }).kind).toBe('pass');
  });

  it('holds rather than passes a slow candidate whose baseline served too few requests to compare with', () => {
    const slow = counts('app--new', 200, 0, 1000);
    expect(judge(slow, counts('app--old', 14, 0, 20), settings).kind).toBe('inconclusive');
    expect(judge(slow, counts('app--old', 50, 0, 20), settings).kind).toBe('fail');
  });

  it('holds a candidate the HTTP logs have no latency for, while a latency bound is on', () => {
    expect(judge(counts('app--new', 200, 0), base, settings)).toMatchObject({
      kind: 'inconclusive',
      reason: expect.stringMatching(/no latency for it in ContainerAppHTTPLogs/),
    });
    expect(judge(counts('app--new', 200, 0), base, { ...settings, maxP95Ratio: 0 }).kind).toBe('pass');
  });

  it('applies the optional p99 ratio and the absolute p99 bound', () => {
    const slowTail = counts('app--new', 200, 0, 25, 150);
    expect(judge(slowTail, base, settings).kind).toBe('pass');
    expect(judge(slowTail, base, { ...settings, maxP99Ratio: 2 })).toMatchObject({
      kind: 'fail',
      reason: expect.stringMatching(/p99 latency 150 ms/),
    });
    expect(judge(slowTail, base, { ...settings, maxP99Ms: 100 })).toMatchObject({
      kind: 'fail',
      reason: expect.stringMatching(/above 100 ms/),
    });
  });

  it('says the counts in every reason', () => {
    expect(judge(counts('app--new', 7, 1), base, settings).reason).toBe(
      'app--new served 7 requests, 1 5xx (14.29%): fewer than min-requests (50) to tell.',
    );
  });
});

describe('windows and decisions', () => {
  const fast: AnalysisSettings = { ...settings, intervalSeconds: 10, ingestionDelaySeconds: 5, maxExtensions: 2 };

  it('starts the window at the shift and reads it only once the ingestion delay has passed', () => {
    const state = firstState(1_000_000, fast);
    expect(state.window).toEqual({ from: 1_000_000, to: 1_010_000 });
    expect(readableAt(state.window, fast)).toBe(1_015_000);
  });

  it('holds an inconclusive step by growing its window, then fails with the counts by default', () => {
    let state = firstState(0, fast);
    const thin = { kind: 'inconclusive', reason: 'app--new served 3 requests, 0 5xx (0%): fewer than min-requests (50) to tell.' } as const;
    const first = decide(state, thin, fast);
    expect(first).toMatchObject({ kind: 'next', state: { window: { from: 0, to: 20_000 }, extensions: 1 } });
    state = (first as { state: typeof state }).state;
    const second = decide(state, thin, fast);
    expect(second).toMatchObject({ kind: 'next', state: { window: { from: 0, to: 30_000 }, extensions: 2 } });
    state = (second as { state: typeof state }).state;
    const last = decide(state, thin, fast);
    expect(last).toMatchObject({
      kind: 'fail',
      reason: expect.stringMatching(/Inconclusive after 2 extensions: app--new served 3 requests/),
    });
    expect(decide(state, thin, { ...fast, inconclusive: 'pass' }).kind).toBe('pass');
  });

  it('fails at the failure limit, reading a fresh window after each failed check below it', () => {
    const bad = { kind: 'fail', reason: 'too many 5xx.' } as const;
    expect(decide(firstState(0, fast), bad, fast).kind).toBe('fail');
    const limited = { ...fast, failureLimit: 2 };
    const retry = decide(firstState(0, limited), bad, limited);
    expect(retry).toMatchObject({ kind: 'next', state: { window: { from: 10_000, to: 20_000 }, failures: 1 } });
    expect(decide((retry as { state: ReturnType<typeof firstState> }).state, bad, limited)).toMatchObject({
      kind: 'fail',
      reason: expect.stringMatching(/2 failed checks, failure-limit 2/),
    });
  });

  it('passes on a passing check', () => {
    expect(decide(firstState(0, fast), { kind: 'pass', reason: 'fine' }, fast)).toEqual({ kind: 'pass', reason: 'fine' });
  });
});

describe('renderChecks', () => {
  it('shows per step each revision’s requests, 5xx share and p95, and nothing that is not a revision name', () => {
    const table = renderChecks([
      {
        step: 10,
        window: { from: 0, to: 60_000 },
        revisions: [counts('app--new', 100, 20, 12.4), counts('app--old|<b>', 900, 0)],
        verdict: 'fail',
        reason: 'x',
      },
    ]);
    expect(table.split('\n')).toEqual([
      '| Step | Window | Revision | Requests | 5xx | p95 | Check |',
      '|---|---|---|---|---|---|---|',
      '| 10% | 60 s | app--new | 100 | 20% | 12 ms | fail |',
      '|  |  | app--oldb | 900 | 0% | - |  |',
    ]);
    expect(renderChecks([])).toBe('');
  });
});

describe('analyseStep', () => {
  const fast: AnalysisSettings = { ...settings, intervalSeconds: 10, ingestionDelaySeconds: 5, maxExtensions: 2, minRequests: 10 };

  /** A clock that only moves when slept on, and a reader of what a traffic script says each revision served in a window. */
  function run(served: (window: Window) => RevisionCounts[], overrides: Partial<AnalysisSettings> = {}) {
    let clock = 1_000_000;
    const reads: { window: Window; at: number }[] = [];
    const lines: string[] = [];
    const checks: CheckRecord[] = [];
    const result = analyseStep({
      reader: {
        read: async (window) => {
          reads.push({ window, at: clock });
          return served(window);
        },
      },
      settings: { ...fast, ...overrides },
      step: 10,
      shiftedAt: clock,
      candidate: 'app--new',
      baseline: 'app--old',
      now: () => clock,
      sleep: async (ms) => void (clock += ms),
      log: (line) => void lines.push(line),
      checks,
    });
    return { result, reads, lines, checks };
  }

  it('reads the window from the shift only after the ingestion delay, and passes a healthy candidate', async () => {
    const { result, reads, checks } = run(() => [counts('app--new', 20, 0, 5), counts('app--old', 180, 0, 5)]);
    expect(await result).toMatchObject({ kind: 'pass' });
    expect(reads).toEqual([{ window: { from: 1_000_000, to: 1_010_000 }, at: 1_015_000 }]);
    expect(checks.map((check) => check.verdict)).toEqual(['pass']);
  });

  it('fails a candidate answering every 5th request with a 500', async () => {
    const { result, lines } = run(() => [counts('app--new', 20, 4, 5), counts('app--old', 180, 0, 5)]);
    expect(await result).toMatchObject({ kind: 'fail', reason: expect.stringMatching(/20 requests, 4 5xx \(20%\)/) });
    expect(lines).toHaveLength(1);
  });

  it('holds a candidate with no traffic through its extensions, then fails by default or passes when told', async () => {
    const quiet = () => [counts('app--old', 200, 0, 5)];
    const held = run(quiet);
    expect(await held.result).toMatchObject({
      kind: 'fail',
      reason: expect.stringMatching(/Inconclusive after 2 extensions: app--new served 0 requests/),
    });
    expect(held.reads.map((read) => read.window.to - read.window.from)).toEqual([10_000, 20_000, 30_000]);
    expect(held.lines.filter((line) => /Holding/.test(line))).toHaveLength(2);
    expect(await run(quiet, { inconclusive: 'pass' }).result).toMatchObject({ kind: 'pass' });
  });

  it('passes once a thin window has grown to enough requests', async () => {
    const { result, reads } = run((window) => [counts('app--new', (window.to - window.from) / 2000, 0, 5), counts('app--old', 100, 0, 5)]);
    expect(await result).toMatchObject({ kind: 'pass' });
    expect(reads).toHaveLength(2);
  });
});
