import type { CliIo } from "./io.js";
import { type Column, renderTable } from "./table.js";

/** How a command prints: a table (or text) for people, JSON for scripts. */
export interface Output {
  readonly json: boolean;
  /** Prints rows as a table, or as a JSON array with `--json`. */
  table<Row>(rows: readonly Row[], columns: readonly Column<Row>[], empty: string): void;
  /** Prints a line of text for people, or `data` as JSON with `--json`. */
  result(text: string, data: unknown): void;
  /** Prints progress to stderr (never to stdout, so `--json` output stays parseable). */
  progress(text: string): void;
}

/** Creates the output of one command run. */
export function createOutput(io: CliIo, json: boolean): Output {
  const writeJson = (data: unknown) => io.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  return {
    json,
    table(rows, columns, empty) {
      if (json) writeJson(rows);
      else io.stdout.write(rows.length === 0 ? `${empty}\n` : renderTable(rows, columns));
    },
    result(text, data) {
      if (json) writeJson(data);
      else io.stdout.write(`${text}\n`);
    },
    progress(text) {
      io.stderr.write(`${text}\n`);
    },
  };
}
