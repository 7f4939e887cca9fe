import { z } from "zod";
import { InvalidInputError } from "../errors.js";
import { decodeCursor, encodeCursor } from "./db-call.js";

/** One page of results, newest first; pass `nextCursor` back as `cursor` for the next page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Time window and paging options shared by every history query. */
export const PageQuerySchema = z.object({
  from: z.date().optional(),
  to: z.date().optional(),
  limit: z.number().int().min(1).max(1000).default(100),
  cursor: z.string().min(1).optional(),
});

/** SQL conditions for a time window plus keyset cursor over `(at, id)`, newest first. */
export function pageConditions(query: z.output<typeof PageQuerySchema>): {
  where: string[];
  args: (string | number)[];
} {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (query.from) {
    where.push("at >= ?");
    args.push(query.from.getTime());
  }
  if (query.to) {
    where.push("at < ?");
    args.push(query.to.getTime());
  }
  if (query.cursor !== undefined) {
    const position = decodeCursor(query.cursor);
    if (!position) {
      throw new InvalidInputError(
        "Invalid cursor: pass back the nextCursor value returned by the previous page.",
        [{ path: "cursor", message: "not a cursor returned by this API" }],
      );
    }
    where.push("(at < ? OR (at = ? AND id < ?))");
    args.push(position.at, position.at, position.id);
  }
  return { where, args };
}

/** Turns the rows of a query run with `LIMIT limit + 1` into a page, with a cursor when a further row exists. */
export function toPage<Row, T extends { at: Date; id: number }>(
  rows: readonly Row[],
  limit: number,
  toItem: (row: Row) => T,
): Page<T> {
  const items = rows.slice(0, limit).map(toItem);
  const last = items[items.length - 1];
  const nextCursor = rows.length > limit && last ? encodeCursor(last.at.getTime(), last.id) : null;
  return { items, nextCursor };
}
