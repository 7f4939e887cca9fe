/** Outcome of one request as audited and counted. */
export type CallOutcome = "ok" | "error" | "denied" | "rate_limited" | "timeout";

/** One audit row, in the shape of core's `AuditEntry`. */
export interface AuditRecord {
  requestId: string;
  /** The MCP method (`tools/call`, `resources/read`…); REST execute records `tools/call`. */
  method: string;
  keyId: string | null;
  /** The OAuth subject and client of the caller, when it came with an access token (beside its key id, if any). */
  principal?: { subject: string; clientId: string | null };
  /** The server the request went to; null for a list over several servers. */
  server: string | null;
  /** The tool or prompt name or resource URI the request named; null for lists and settings. */
  tool: string | null;
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
