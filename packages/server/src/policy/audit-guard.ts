import { AuditUnavailableError } from "../errors/errors.js";

/** What `/health` shows of the audit: whether rows can be committed, and the last failure while they cannot. */
export interface AuditHealth {
  ok: boolean;
  /** Why the last audit write failed (names the database and what to fix); only while not ok. */
  error?: string;
  /** When audit writes started failing (ISO time); only while not ok. */
  since?: string;
}

/**
 * Keeps tool calls from running unaudited. After an audit write fails, every new call first runs `probe`
 * (one probe shared by concurrent callers, never cached); calls are refused while it fails, and service
 * resumes with the first probe or audit write that commits.
 */
export interface AuditGuard {
  /** Resolves when a call may run; throws `AuditUnavailableError` while the audit cannot be written. */
  admit(): Promise<void>;
  /** Notes a committed audit row. */
  succeeded(): void;
  /** Notes a failed audit write; returns the error that withholds the call's result. */
  failed(cause: unknown): AuditUnavailableError;
  /** Current state; probes first when a failure is known, so recovery shows without a tool call. */
  check(): Promise<AuditHealth>;
  /** Current state without probing. */
  health(): AuditHealth;
}

/** What the guard needs: a probe that commits a write (and throws the database's error when it cannot). */
export interface AuditGuardOptions {
  probe: () => Promise<void>;
  /** Called when the audit goes from writable to failing (`ok: false`) and back (`ok: true`). */
  onChange?: (health: AuditHealth) => void;
}

/** Creates the audit guard of one gateway. */
export function createAuditGuard(options: AuditGuardOptions): AuditGuard {
  let failure: { error: string; since: Date } | null = null;
  let probing: Promise<void> | null = null;

  const reasonOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause));
  /** The cause as a sentence of its own, ending in one full stop. */
  const sentence = (reason: string) => (/[.!?]$/.test(reason.trim()) ? reason.trim() : `${reason.trim()}.`);

  const markFailed = (cause: unknown) => {
    const wasOk = failure === null;
    failure = { error: reasonOf(cause), since: failure?.since ?? new Date() };
    if (wasOk) options.onChange?.(health());
  };

  const markOk = () => {
    if (failure === null) return;
    failure = null;
    options.onChange?.({ ok: true });
  };

  function health(): AuditHealth {
    return failure === null
      ? { ok: true }
      : { ok: false, error: failure.error, since: failure.since.toISOString() };
  }

  function probeOnce(): Promise<void> {
    probing ??= options
      .probe()
      .then(markOk, (cause: unknown) => markFailed(cause))
      .finally(() => {
        probing = null;
      });
    return probing;
  }

  return {
    async admit() {
      if (failure === null) return;
      await probeOnce();
      if (failure !== null) {
        throw new AuditUnavailableError(
          "Tool call refused before it ran: the audit log cannot be written, and calls do not run unaudited. " +
            `${sentence(failure.error)} Free disk space or release the database lock; ` +
            "calls resume once an audit row can be committed.",
        );
      }
    },
    succeeded: markOk,
    failed(cause) {
      markFailed(cause);
      return new AuditUnavailableError(
        "The tool ran, but its result was withheld because the call could not be audited. " +
          `${sentence(reasonOf(cause))} Free disk space or release the database lock; ` +
          "calls resume once an audit row can be committed.",
        { cause },
      );
    },
    async check() {
      if (failure !== null) await probeOnce();
      return health();
    },
    health,
  };
}
