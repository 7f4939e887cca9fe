import type { RestartPolicy } from "./options.js";

/**
 * Delay before restart `attempt` (1-based): exponential from `initialDelayMs`, capped at `maxDelayMs`,
 * with "equal jitter" (half fixed, half random) so that many bridges do not restart in lockstep.
 */
export function restartDelayMs(
  attempt: number,
  policy: RestartPolicy,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (exponential / 2) * random());
}
