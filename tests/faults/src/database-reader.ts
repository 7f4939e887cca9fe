import { openDatabase } from "@waygate/core";

/** Reads rows from a gateway's database file through a second connection (WAL lets it read while the gateway writes). */
export async function readRows(databaseUrl: string, sql: string, args: (string | number)[] = []) {
  const db = await openDatabase({ url: databaseUrl });
  try {
    const result = await db.client.execute({ sql, args });
    return result.rows.map((row) => ({ ...row }) as Record<string, unknown>);
  } finally {
    db.close();
  }
}

/** `system_events` rows of one type whose details mention `server`. */
export function eventsFor(databaseUrl: string, type: string, server: string) {
  return readRows(
    databaseUrl,
    "SELECT type, level, message, details FROM system_events WHERE type = ? AND details LIKE ? ORDER BY id",
    [type, `%"${server}"%`],
  );
}
