// Prints throughput and single-record latency figures for the audit writer and API-key verification on a real libSQL file.
// Run with `pnpm --filter @waygate/core bench`. Figures only; nothing here asserts on speed.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareBaseline } from "../../../bench/baseline.js";
import {
  type AuditEntry,
  createAuditWriter,
  createRepositories,
  openDatabase,
  type SynchronousLevel,
} from "../src/index.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const SECRET = "bench-secret-key-0123456789abcdef-0123456789";

function sampleEntry(writer: number, n: number): AuditEntry {
  return {
    requestId: `w${writer}-${n}`,
    keyId: null,
    server: "github",
    tool: "create_issue",
    transport: "mcp",
    arguments: { owner: "acme", repo: "widgets", title: `issue ${n}`, token: "ghp_secret" },
    outcome: "ok",
    durationMs: 12.5,
  };
}

async function withDatabase<T>(work: (url: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "waygate-bench-"));
  try {
    return await work(`file:${join(dir, "bench.db")}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the audit benchmark needs of a core build: this tree's, or a baseline commit's (BENCH_BASELINE). */
interface CoreUnderTest {
  label: string;
  openDatabase: typeof openDatabase;
  createAuditWriter: typeof createAuditWriter;
}

const thisTree: CoreUnderTest = { label: "this tree", openDatabase, createAuditWriter };

async function benchAudit(
  writers: number,
  synchronous: SynchronousLevel,
  core: CoreUnderTest = thisTree,
): Promise<number> {
  return withDatabase(async (url) => {
    const db = await core.openDatabase({ url, synchronous });
    const audit = core.createAuditWriter(db, { secretKey: SECRET });
    let rows = 0;
    const deadline = performance.now() + SECONDS * 1000;
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let n = 0; performance.now() < deadline; n++) {
          await audit.record(sampleEntry(w, n));
          rows++;
        }
      }),
    );
    await audit.close();
    const elapsed = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuPerRow = (cpu.user + cpu.system) / Math.max(1, rows);
    const stored = Number((await db.client.execute("SELECT count(*) FROM command_history")).rows[0]?.[0]);
    db.close();
    const perSecond = rows / elapsed;
    console.log(
      `audit rows/s  synchronous=${synchronous.padEnd(6)}  writers=${String(writers).padStart(3)}  ${Math.round(
        perSecond,
      )
        .toLocaleString("en-US")
        .padStart(
          8,
        )}  cpu ${cpuPerRow.toFixed(1).padStart(5)} µs/row  (${rows} rows in ${elapsed.toFixed(2)} s, ${stored} stored; ${core.label})`,
    );
    return cpuPerRow;
  });
}

/**
 * The audit writer of this tree beside a baseline commit's, in turns, so the chain's cost reads from one run:
 * BENCH_BASELINE=<git ref> builds core at that ref in a temp worktree.
 */
async function benchAuditAgainstBaseline(ref: string): Promise<void> {
  const baseline = prepareBaseline(ref, "@waygate/core");
  try {
    const built = (await import(
      join(baseline.dir, "packages/core/dist/index.js")
    )) as typeof import("../src/index.js");
    const base: CoreUnderTest = {
      label: ref,
      openDatabase: built.openDatabase,
      createAuditWriter: built.createAuditWriter,
    };
    for (const writers of [1, 16, 256]) {
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let round = 0; round < 2; round++) {
        theirs.push(await benchAudit(writers, "normal", base));
        ours.push(await benchAudit(writers, "normal", thisTree));
      }
      const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
      console.log(
        `  writers=${writers}: this tree ${mean(ours).toFixed(1)} µs CPU/row vs ${ref} ${mean(theirs).toFixed(1)} µs CPU/row (${(
          (mean(ours) / mean(theirs) - 1) * 100
        ).toFixed(1)} %)`,
      );
    }
  } finally {
    baseline.remove();
  }
}

/** Latency of one `record()` with nothing else in flight: what a gateway adds to each call at concurrency 1. */
async function benchRecordLatency(synchronous: SynchronousLevel): Promise<void> {
  await withDatabase(async (url) => {
    const db = await openDatabase({ url, synchronous });
    const audit = createAuditWriter(db, { secretKey: SECRET });
    for (let n = 0; n < 200; n++) await audit.record(sampleEntry(0, n)); // warm-up
    const latencies: number[] = [];
    const deadline = performance.now() + SECONDS * 1000;
    while (performance.now() < deadline) {
      const started = performance.now();
      await audit.record(sampleEntry(0, latencies.length));
      latencies.push(performance.now() - started);
    }
    await audit.close();
    db.close();
    latencies.sort((a, b) => a - b);
    const at = (q: number) =>
      (latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0).toFixed(3);
    console.log(
      `record() latency  synchronous=${synchronous.padEnd(6)}  writers=  1  p50 ${at(0.5)} ms  p99 ${at(0.99)} ms  (${latencies.length} records)`,
    );
  });
}

async function benchVerify(concurrency: number, apiKeyCacheMs?: number): Promise<void> {
  await withDatabase(async (url) => {
    const db = await openDatabase({ url });
    const { apiKeys } = createRepositories(db, { secretKey: SECRET, apiKeyCacheMs });
    const keys: string[] = [];
    for (let i = 0; i < 100; i++)
      keys.push((await apiKeys.create({ name: `k${i}`, scopes: ["tools:call"] })).plaintext);
    // Warm-up: each key's first use writes last_used_at; steady state writes it once a minute per key.
    for (const key of keys) await apiKeys.verify(key);
    let done = 0;
    const deadline = performance.now() + SECONDS * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async (_, c) => {
        for (let n = c; performance.now() < deadline; n++) {
          const result = await apiKeys.verify(keys[n % keys.length]!);
          if (!result.ok) throw new Error(`verification failed: ${result.reason}`);
          done++;
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    db.close();
    console.log(
      `verifications/s  concurrency=${String(concurrency).padStart(2)}  cache=${apiKeyCacheMs === 0 ? "off" : "1s "}  ${Math.round(
        done / elapsed,
      )
        .toLocaleString("en-US")
        .padStart(8)}  (${done} in ${elapsed.toFixed(2)} s, 100 keys)`,
    );
  });
}

console.log(
  `@waygate/core bench: ${SECONDS} s per case, node ${process.version}, file database in ${tmpdir()}`,
);
for (const synchronous of ["normal", "full"] as const) {
  for (const writers of [1, 16, 256]) await benchAudit(writers, synchronous);
}
for (const synchronous of ["normal", "full"] as const) await benchRecordLatency(synchronous);
for (const concurrency of [1, 16]) await benchVerify(concurrency);
for (const concurrency of [1, 16]) await benchVerify(concurrency, 0);
if (process.env.BENCH_BASELINE) await benchAuditAgainstBaseline(process.env.BENCH_BASELINE);
