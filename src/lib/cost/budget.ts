/**
 * A config node's budget: at most `cap` USD per UTC day or month, shared by every node on it. Before a request is
 * sent its worst case is reserved; a request that would take spent + reserved past the cap is refused
 * (`budget_exceeded`) before anything is sent. Reserving is synchronous, so concurrent messages can never pass the
 * cap together. After the answer the reservation becomes the actual cost; a request that failed without being billed
 * gives its reservation back. The spend is kept in a store (Node-RED's context) so a restart does not reset it. The
 * clock is a parameter.
 */
import { ImagesApiError } from "../errors";

export type BudgetPeriod = "day" | "month";

/** What the store keeps: the period it is for and what was spent in it. */
export interface BudgetState {
  period: string;
  spent: number;
  /** the 80 % warning was given in this period */
  warned?: boolean;
}

export interface BudgetStore {
  get(): BudgetState | undefined;
  set(state: BudgetState): void;
}

export interface Reservation {
  /** the request was answered: its actual cost replaces the reservation (undefined: the reservation is kept as spent) */
  settle(actualUsd: number | undefined): void;
  /** the request was not billed: the reservation is given back */
  release(): void;
}

/** the share of the cap at which a warning is given, once per period */
export const BUDGET_WARN_AT = 0.8;

export function periodOf(now: Date, period: BudgetPeriod): string {
  const iso = now.toISOString();
  return period === "day" ? iso.slice(0, 10) : iso.slice(0, 7);
}

/** When the period of `now` ends (UTC midnight, or the first of the next month). */
export function periodEnd(now: Date, period: BudgetPeriod): Date {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  return period === "day" ? new Date(Date.UTC(y, m, now.getUTCDate() + 1)) : new Date(Date.UTC(y, m + 1, 1));
}

const usd = (v: number) => `$${v < 0.01 && v > 0 ? v.toFixed(4) : v.toFixed(2)}`;

export class Budget {
  private reserved = 0;

  constructor(
    readonly cap: number,
    readonly period: BudgetPeriod,
    private readonly store: BudgetStore,
    private readonly now: () => Date = () => new Date(),
    private readonly warn: (text: string) => void = () => {},
  ) {}

  /** This period's state (a new period starts from nothing). */
  private state(): BudgetState {
    const key = periodOf(this.now(), this.period);
    const saved = this.store.get();
    return saved && saved.period === key && Number.isFinite(saved.spent) ? saved : { period: key, spent: 0 };
  }

  /** What was spent this period, what is reserved, the cap, and when the period starts again. */
  status(): { spent: number; reserved: number; cap: number; period: BudgetPeriod; resetsAt: string } {
    const s = this.state();
    return {
      spent: s.spent,
      reserved: this.reserved,
      cap: this.cap,
      period: this.period,
      resetsAt: periodEnd(this.now(), this.period).toISOString(),
    };
  }

  /** Reserves a request's worst case, or refuses it (budget_exceeded) when it could pass the cap. */
  reserve(worstUsd: number, what: string): Reservation {
    const s = this.state();
    if (s.spent + this.reserved + worstUsd > this.cap + 1e-9) {
      const resets = periodEnd(this.now(), this.period).toISOString().replace(".000Z", "Z");
      const pending = this.reserved > 0 ? ` (and ${usd(this.reserved)} held for requests under way)` : "";
      throw new ImagesApiError(
        "budget_exceeded",
        `budget exceeded: ${what} may cost up to ${usd(worstUsd)}; ${usd(s.spent)} of this ${this.period}'s ${usd(this.cap)} is spent${pending}. ` +
          `The ${this.period} starts again at ${resets}; raise the config node's budget to go on now`,
        { retryable: false },
      );
    }
    this.reserved += worstUsd;
    let open = true;
    const close = () => {
      if (!open) return false;
      open = false;
      this.reserved = Math.max(0, this.reserved - worstUsd);
      return true;
    };
    return {
      settle: (actual) => {
        if (close()) this.add(actual ?? worstUsd);
      },
      release: () => {
        close();
      },
    };
  }

  private add(amount: number): void {
    const s = this.state();
    const next: BudgetState = { period: s.period, spent: s.spent + Math.max(0, amount), warned: s.warned };
    if (!next.warned && next.spent >= this.cap * BUDGET_WARN_AT) {
      next.warned = true;
      this.warn(
        `${usd(next.spent)} of this ${this.period}'s budget of ${usd(this.cap)} is spent (${Math.round((next.spent / this.cap) * 100)} %)`,
      );
    }
    this.store.set(next);
  }
}
