/**
 * Client-side request budgets for one Key Vault, so a normal run never sees a 429.
 *
 * Key Vault counts transactions per vault per 10 seconds. A sliding-window log is the tightest
 * limiter that can promise "at most N in ANY window of W": it lets the first N go at once and
 * then each later request waits until the request N places before it is W old. A token bucket
 * that promises the same (burst + rate x W <= N) is slower. `guardMs` widens the window a
 * little, because the server counts arrival times while we count send times and the difference
 * (network jitter) varies from request to request.
 */

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface WindowBudget {
  /** Requests allowed in any window of `windowMs`. */
  limit: number;
  windowMs: number;
  /** Extra spacing between a request and the one `limit` places after it; absorbs jitter. */
  guardMs?: number;
}

/** "At most `limit` in any window": remembers when the last `limit` requests were (or will be) sent. */
export class SlidingWindow {
  private readonly sendTimes: number[];
  private next = 0;
  private count = 0;
  private readonly spacing: number;

  constructor(private readonly budget: WindowBudget) {
    if (!Number.isInteger(budget.limit) || budget.limit < 1) throw new RangeError(`limit must be a positive integer, got ${budget.limit}`);
    if (!(budget.windowMs > 0)) throw new RangeError(`windowMs must be positive, got ${budget.windowMs}`);
    this.sendTimes = new Array<number>(budget.limit).fill(0);
    this.spacing = budget.windowMs + (budget.guardMs ?? 0);
  }

  /**
   * Books the earliest send time at or after `notBefore` and returns it. Bookings are made in
   * call order and never earlier than a previous one, so the log stays sorted.
   */
  reserve(notBefore: number): number {
    const lastBooked = this.count === 0 ? -Infinity : this.sendTimes[(this.next + this.budget.limit - 1) % this.budget.limit];
    const oldestInWindow = this.count < this.budget.limit ? -Infinity : this.sendTimes[this.next] + this.spacing;
    const at = Math.max(notBefore, lastBooked, oldestInWindow);
    this.sendTimes[this.next] = at;
    this.next = (this.next + 1) % this.budget.limit;
    this.count = Math.min(this.count + 1, this.budget.limit);
    return at;
  }
}

export type RequestKind = 'read' | 'write';

export interface VaultBudgets {
  /** Writes (PUT, PATCH, POST, DELETE) per window. Key Vault allows 300 per 10 s. */
  writes: WindowBudget;
  /** Reads (GET) per window. Key Vault allows 4,000 transactions per 10 s in all. */
  reads: WindowBudget;
}

/**
 * Our defaults keep a margin under Key Vault's published limits: 280 + 3,600 stays under the
 * 4,000 all-transaction limit even when both budgets are used up in the same window.
 */
export const defaultVaultBudgets: VaultBudgets = {
  writes: { limit: 280, windowMs: 10_000, guardMs: 500 },
  reads: { limit: 3_600, windowMs: 10_000, guardMs: 500 },
};

/** The read and write budgets of one vault, plus a pause that a 429's Retry-After imposes on both. */
export class VaultRateLimiter {
  private readonly windows: Record<RequestKind, SlidingWindow>;
  private pausedUntil = -Infinity;

  constructor(
    budgets: VaultBudgets = defaultVaultBudgets,
    private readonly clock: Clock = systemClock,
  ) {
    this.windows = { read: new SlidingWindow(budgets.reads), write: new SlidingWindow(budgets.writes) };
  }

  /** Books a send time for one request and returns how long to wait before sending it. */
  reserve(kind: RequestKind): number {
    const now = this.clock.now();
    return this.windows[kind].reserve(Math.max(now, this.pausedUntil)) - now;
  }

  /** Waits until one more request of this kind fits the budget. */
  async acquire(kind: RequestKind): Promise<void> {
    const wait = this.reserve(kind);
    if (wait > 0) await this.clock.sleep(wait);
  }

  /** The vault said "slow down": nothing new is sent until `retryAfterMs` has passed. */
  pause(retryAfterMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + retryAfterMs);
  }

  /** Until when the vault asked everyone to wait (a time in the past when it did not). */
  get waitingUntil(): number {
    return this.pausedUntil;
  }
}

/** Which budget an HTTP method spends. */
export function requestKind(method: string): RequestKind {
  return method.toUpperCase() === 'GET' || method.toUpperCase() === 'HEAD' ? 'read' : 'write';
}
