import { appendFileSync } from "node:fs";

/** One row of the `pnpm test:faults` table. */
export interface FaultCase {
  case: string;
  expected: string;
  observed: string;
}

/** Environment variable naming the JSON-lines file the table script reads; unset in a plain `vitest run`. */
export const TABLE_FILE_ENV = "WAYGATE_FAULTS_TABLE";

/** Adds a row to the table (when the table script runs the suite); called after a case's assertions pass. */
export function recordCase(row: FaultCase): void {
  const file = process.env[TABLE_FILE_ENV];
  if (file) appendFileSync(file, `${JSON.stringify(row)}\n`);
}
