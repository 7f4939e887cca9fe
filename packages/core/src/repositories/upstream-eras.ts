import type { Clock } from "../clock.js";
import type { WaygateDatabase } from "../database/create-database.js";
import { dbCall } from "./db-call.js";

/** What an upstream was found to speak, as the plugin SDK's bridge reports it and takes it back. */
export type UpstreamEraVerdict = { era: "legacy" } | { era: "modern"; discover: Record<string, unknown> };

/** A stored verdict and when it was taken. */
export interface UpstreamEraRecord {
  name: string;
  fingerprint: string;
  verdict: UpstreamEraVerdict;
  checkedAt: Date;
}

/** The dated era verdicts of upstreams, shared by restarts and replicas. */
export interface UpstreamErasRepository {
  /** Every stored verdict. */
  list(): Promise<UpstreamEraRecord[]>;
  /** Stores (or replaces) `name`'s verdict, dated now. */
  record(name: string, fingerprint: string, verdict: UpstreamEraVerdict): Promise<UpstreamEraRecord>;
  /** Forgets `name`'s verdict, so its next connection probes. */
  forget(name: string): Promise<void>;
}

const isVerdict = (value: unknown): value is UpstreamEraVerdict =>
  typeof value === "object" &&
  value !== null &&
  ((value as { era?: unknown }).era === "legacy" ||
    ((value as { era?: unknown }).era === "modern" &&
      typeof (value as { discover?: unknown }).discover === "object" &&
      (value as { discover?: unknown }).discover !== null));

const readVerdict = (value: unknown): UpstreamEraVerdict | undefined => {
  if (typeof value !== "string") return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return isVerdict(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
};

/** Creates the repository of upstream era verdicts. */
export function createUpstreamErasRepository(db: WaygateDatabase, clock: Clock): UpstreamErasRepository {
  return {
    async list() {
      const result = await dbCall(db, "reading upstream eras", () =>
        db.client.execute("SELECT name, fingerprint, verdict, checked_at FROM upstream_eras ORDER BY name"),
      );
      const records: UpstreamEraRecord[] = [];
      for (const row of result.rows) {
        const verdict = readVerdict(row.verdict);
        // A row this version cannot read is skipped: the upstream is probed, and its verdict written anew.
        if (!verdict) continue;
        records.push({
          name: String(row.name),
          fingerprint: String(row.fingerprint),
          verdict,
          checkedAt: new Date(Number(row.checked_at)),
        });
      }
      return records;
    },

    async record(name, fingerprint, verdict) {
      const checkedAt = new Date(clock());
      await dbCall(db, "recording an upstream era", () =>
        db.client.execute({
          sql: `INSERT INTO upstream_eras (name, fingerprint, verdict, checked_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET fingerprint = excluded.fingerprint, verdict = excluded.verdict,
                checked_at = excluded.checked_at`,
          args: [name, fingerprint, JSON.stringify(verdict), checkedAt.getTime()],
        }),
      );
      return { name, fingerprint, verdict, checkedAt };
    },

    async forget(name) {
      await dbCall(db, "forgetting an upstream era", () =>
        db.client.execute({ sql: "DELETE FROM upstream_eras WHERE name = ?", args: [name] }),
      );
    },
  };
}
