// Bounded, backed-off restarts of an upstream: after a lost connection, or after a first start that timed out or
// ended with its process, until one connects or the attempts run out.
import { errorMessage, PluginError, UpstreamUnavailableError } from "../errors.js";
import type { Logger } from "../logger.js";
import { restartDelayMs } from "./backoff.js";
import type { RestartPolicy } from "./options.js";

/** What the schedule needs of its bridge. */
export interface Restartable {
  readonly upstream: string;
  readonly policy: RestartPolicy;
  logger(): Logger;
  /** Whether the bridge is shutting down: no restart is started or reported then. */
  stopping(): boolean;
  /** Connects again; rejects when the upstream is still not there. */
  reconnect(): Promise<void>;
  /** Attempt `attempt` connected: renew what the old connection held and tell the host. */
  restarted(attempt: number): Promise<void>;
  setState(state: "degraded" | "failed", error: unknown): void;
  /** The message of the last error the bridge reported. */
  lastError(): string | undefined;
}

/** The restart attempts of one bridge: at most one pending at a time. */
export class RestartSchedule {
  readonly #target: Restartable;
  #failedRestarts = 0;
  #retryingStart = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(target: Restartable) {
    this.#target = target;
  }

  /** Retrying a start that never succeeded: the bridge stays `failed` (not `degraded`) until it connects. */
  get retryingStart(): boolean {
    return this.#retryingStart;
  }

  /** Cancels the pending attempt, if any. */
  stop(): void {
    clearTimeout(this.#timer);
  }

  /** Forgets past attempts, for a fresh start. */
  reset(): void {
    this.#failedRestarts = 0;
    this.#retryingStart = false;
  }

  /**
   * A first start that times out or ends with the process gets the same bounded, backed-off restarts as a crash,
   * so a server that is slow on its first start (an `npx -y` download) comes up by itself. Anything else (a refusal,
   * a protocol version the client cannot speak) would fail the same way again, so it stays failed.
   */
  retryFailedStart(error: unknown): void {
    const transient =
      PluginError.isInstance(error, "UPSTREAM_TIMEOUT") || PluginError.isInstance(error, "UPSTREAM_CLOSED");
    if (this.#target.stopping() || !transient) return;
    this.#target
      .logger()
      .warn("upstream failed to start; retrying with backoff", { error: errorMessage(error) });
    this.#retryingStart = true;
    this.schedule();
  }

  /** Plans the next attempt after a backed-off delay, or marks the bridge failed when the attempts ran out. */
  schedule(): void {
    const { policy } = this.#target;
    if (this.#failedRestarts >= policy.maxAttempts) {
      this.#target.setState(
        "failed",
        new UpstreamUnavailableError(
          `Upstream '${this.#target.upstream}' gave up after ${policy.maxAttempts} restart attempts; last: ${this.#target.lastError()}`,
        ),
      );
      return;
    }
    const attempt = this.#failedRestarts + 1;
    const delay = restartDelayMs(attempt, policy);
    this.#target.logger().info("restarting upstream", { attempt, delayMs: delay });
    this.#timer = setTimeout(() => void this.#restart(attempt), delay);
    this.#timer.unref();
  }

  async #restart(attempt: number): Promise<void> {
    const target = this.#target;
    if (target.stopping()) return;
    try {
      await target.reconnect();
      this.reset();
      await target.restarted(attempt);
    } catch (error) {
      if (target.stopping()) return;
      this.#failedRestarts = attempt;
      target.setState(this.#retryingStart ? "failed" : "degraded", error);
      target.logger().warn("upstream restart failed", { attempt, error: errorMessage(error) });
      this.schedule();
    }
  }
}
