/** Outcome of one tool call as audited and counted. */
export type CallOutcome = "ok" | "error" | "denied" | "rate_limited" | "timeout";

/** One audit row, in the shape of core's `AuditEntry`. */
export interface AuditRecord {
  requestId: string;
  keyId: string | null;
  server: string;
  tool: string;
  transport: "mcp" | "rest";
  arguments?: unknown;
  outcome: CallOutcome;
  error?: string;
  durationMs: number;
}

/** Where audit rows go: core's AuditWriter (`record` resolves once the row is committed). */
export interface AuditSink {
  record(entry: AuditRecord): Promise<void>;
}
