import type { CommandHistoryQuery, CommandHistoryRecord, CommandHistoryRepository } from "@waygate/core";
import type { Response } from "express";

const CSV_COLUMNS = [
  "id",
  "at",
  "requestId",
  "method",
  "keyId",
  "server",
  "tool",
  "transport",
  "outcome",
  "durationMs",
  "error",
  "arguments",
] as const;

/** One audit row as plain JSON (dates as ISO strings), the shape of the list, the detail and the exports. */
export function auditRowJson(record: CommandHistoryRecord) {
  return { ...record, at: record.at.toISOString() };
}

/** RFC 4180 quoting; a cell a spreadsheet would run as a formula (=, +, -, @, tab, CR) is prefixed with `'`. */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text = typeof value === "string" ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvLine(record: CommandHistoryRecord): string {
  const row = auditRowJson(record);
  return `${CSV_COLUMNS.map((column) => csvCell(row[column])).join(",")}\r\n`;
}

/** Streams every row of the filter, newest first, as JSON Lines or CSV, a page at a time. */
export async function sendAuditExport(
  res: Response,
  history: CommandHistoryRepository,
  filter: CommandHistoryQuery,
  format: "jsonl" | "csv",
): Promise<void> {
  // The first page is read before any header goes out, so a bad filter still gets its 400.
  let page = await history.query({ ...filter, limit: 1000 });
  const stamp = new Date().toISOString().replaceAll(":", "-");
  res.status(200);
  res.setHeader("Content-Type", format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson");
  res.setHeader("Content-Disposition", `attachment; filename="waygate-audit-${stamp}.${format}"`);
  if (format === "csv") res.write(`${CSV_COLUMNS.join(",")}\r\n`);
  for (;;) {
    const text = page.items
      .map((record) => (format === "csv" ? csvLine(record) : `${JSON.stringify(auditRowJson(record))}\n`))
      .join("");
    if (text && !res.write(text)) await new Promise((resolve) => res.once("drain", resolve));
    if (!page.nextCursor || res.destroyed) break;
    page = await history.query({ ...filter, limit: 1000, cursor: page.nextCursor });
  }
  res.end();
}
