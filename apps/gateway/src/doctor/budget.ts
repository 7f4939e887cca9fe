import { type Finding, problem } from "./finding.js";

/** Doctor's time budget: every check shares it, so the whole run answers within `totalMs`. */
export interface CheckBudget {
  readonly totalMs: number;
  /** Milliseconds left, 0 once spent. */
  left(): number;
}

/** Starts a budget of `totalMs` from now. */
export function createBudget(totalMs: number): CheckBudget {
  const deadline = Date.now() + totalMs;
  return { totalMs, left: () => Math.max(0, deadline - Date.now()) };
}

/**
 * Runs one check with what is left of the budget as its timeout. A check that does not answer in time, or
 * that gets no time at all, becomes a finding naming it (its work is abandoned, not awaited).
 */
export async function withinBudget(
  budget: CheckBudget,
  check: string,
  run: (timeoutMs: number) => Promise<Finding[]>,
  fix: string,
): Promise<Finding[]> {
  const ms = budget.left();
  if (ms === 0) {
    return [
      problem(check, "warn", `not checked: doctor's ${budget.totalMs} ms ran out on earlier checks`, fix),
    ];
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Finding[]>((resolve) => {
    timer = setTimeout(() => resolve([problem(check, "fail", `no answer within ${ms} ms`, fix)]), ms);
    timer.unref();
  });
  return Promise.race([run(ms), late]).finally(() => clearTimeout(timer));
}
