import { describe, expect, it } from 'vitest';
import { requestKind, SlidingWindow, VaultRateLimiter } from '../../src/secrets/rate-limit.js';
import type { Clock } from '../../src/secrets/rate-limit.js';

/** A clock that only moves when told to; sleeping advances it. */
function manualClock(start = 0): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

/** The largest number of times that fall in any half-open window [t, t + windowMs). */
function busiestWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let busiest = 0;
  for (let start = 0, end = 0; end < sorted.length; end += 1) {
    while (sorted[end] - sorted[start] >= windowMs) start += 1;
    busiest = Math.max(busiest, end - start + 1);
  }
  return busiest;
}

describe('SlidingWindow', () => {
  it('lets `limit` requests go at once, then each waits until the one `limit` places earlier is a window old', () => {
    const window = new SlidingWindow({ limit: 3, windowMs: 1_000 });
    expect([0, 0, 0, 0, 0, 0, 0].map(() => window.reserve(0))).toEqual([0, 0, 0, 1_000, 1_000, 1_000, 2_000]);
  });

  it('adds the guard to the spacing', () => {
    const window = new SlidingWindow({ limit: 2, windowMs: 1_000, guardMs: 100 });
    expect([0, 0, 0, 0, 0].map(() => window.reserve(0))).toEqual([0, 0, 1_100, 1_100, 2_200]);
  });

  it('never books earlier than asked, nor earlier than the previous booking', () => {
    const window = new SlidingWindow({ limit: 2, windowMs: 1_000 });
    expect(window.reserve(500)).toBe(500);
    expect(window.reserve(100)).toBe(500);
    expect(window.reserve(600)).toBe(1_500);
  });

  it.each([
    { limit: 280, windowMs: 10_000, arrivalsPerMs: 2 },
    { limit: 7, windowMs: 100, arrivalsPerMs: 0.3 },
    { limit: 1, windowMs: 50, arrivalsPerMs: 1 },
  ])('keeps every window of $windowMs ms at or under $limit under steady demand', ({ limit, windowMs, arrivalsPerMs }) => {
    const window = new SlidingWindow({ limit, windowMs });
    const booked: number[] = [];
    for (let i = 0; i < limit * 5; i += 1) booked.push(window.reserve(Math.floor(i / arrivalsPerMs)));
    expect(busiestWindow(booked, windowMs)).toBe(limit);
  });

  it('rejects a budget that allows nothing', () => {
    expect(() => new SlidingWindow({ limit: 0, windowMs: 1_000 })).toThrow(RangeError);
    expect(() => new SlidingWindow({ limit: 1, windowMs: 0 })).toThrow(RangeError);
  });
});

describe('VaultRateLimiter', () => {
  const budgets = { writes: { limit: 2, windowMs: 1_000 }, reads: { limit: 3, windowMs: 1_000 } };

  it('keeps separate budgets for reads and writes', async () => {
    const clock = manualClock();
    const limiter = new VaultRateLimiter(budgets, clock);
    expect([limiter.reserve('write'), limiter.reserve('write'), limiter.reserve('write')]).toEqual([0, 0, 1_000]);
    expect([limiter.reserve('read'), limiter.reserve('read'), limiter.reserve('read'), limiter.reserve('read')]).toEqual([0, 0, 0, 1_000]);
  });

  it('acquire waits on the injected clock', async () => {
    const clock = manualClock(5_000);
    const limiter = new VaultRateLimiter(budgets, clock);
    await limiter.acquire('write');
    await limiter.acquire('write');
    expect(clock.now()).toBe(5_000);
    await limiter.acquire('write');
    expect(clock.now()).toBe(6_000);
  });

  it('a Retry-After pauses both budgets', () => {
    const clock = manualClock();
    const limiter = new VaultRateLimiter(budgets, clock);
    limiter.pause(2_000);
    expect(limiter.reserve('read')).toBe(2_000);
    clock.advance(500);
    expect(limiter.reserve('write')).toBe(1_500);
    // A shorter pause does not cut a longer one short.
    limiter.pause(100);
    expect(limiter.reserve('read')).toBe(1_500);
  });

  it('classifies methods', () => {
    expect(['GET', 'get', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'].map(requestKind)).toEqual([
      'read',
      'read',
      'read',
      'write',
      'write',
      'write',
      'write',
    ]);
  });
});
