/**
 * How long the gateway's read-only SQL check takes per statement (parse + walk), for statements of different
 * shapes. Prints one line per case: mean microseconds and checks per second.
 *
 *   pnpm --filter @waygate/bridge-bigquery bench
 */
import { checkReadOnlySql } from "../src/index.js";

const CASES: Record<string, string> = {
  "simple select": "SELECT id, total FROM sales.orders WHERE day = '2026-01-01' LIMIT 100",
  "cte + join + subquery":
    "WITH recent AS (SELECT * FROM sales.orders WHERE day > '2026-01-01') SELECT r.region, SUM(r.total) AS t FROM recent r JOIN crm.people p ON r.customer = p.id WHERE p.id IN (SELECT customer FROM sales.refunds) GROUP BY r.region ORDER BY t DESC",
  "denied DROP": "DROP TABLE sales.orders",
  "denied two statements": "SELECT 1; DROP TABLE sales.orders",
  "denied unparseable MERGE": "MERGE sales.orders T USING sales.s S ON T.id = S.id WHEN MATCHED THEN DELETE",
};

function measure(sql: string, iterations: number): number {
  for (let i = 0; i < 50; i++) checkReadOnlySql(sql);
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) checkReadOnlySql(sql);
  return Number(process.hrtime.bigint() - start) / 1000 / iterations;
}

console.log("read-only SQL check (node-sql-parser, BigQuery grammar)");
for (const [name, sql] of Object.entries(CASES)) {
  const micros = measure(sql, 2_000);
  console.log(
    `  ${name.padEnd(26)} ${micros.toFixed(1).padStart(8)} µs/check  ${Math.round(1e6 / micros)
      .toString()
      .padStart(7)} checks/s`,
  );
}
