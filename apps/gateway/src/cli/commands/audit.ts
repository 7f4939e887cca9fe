import { createWriteStream, type WriteStream } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { resolve } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { CliError } from "../../errors.js";
import { contextOf } from "../context.js";
import type { CliIo } from "../io.js";
import { openStoreFor } from "../with-store.js";

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses `--since`: an ISO date or date-time, or an age such as `30m`, `12h`, `7d`. */
export function parseSince(value: string, now = Date.now()): Date {
  const age = /^(\d+)([mhd])$/.exec(value);
  if (age) return new Date(now - Number(age[1]) * UNIT_MS[age[2] as keyof typeof UNIT_MS]);
  const at = Date.parse(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && Number.isFinite(at)) return new Date(at);
  throw new InvalidArgumentError(
    "expected an ISO date (2026-12-01, 2026-12-01T08:00:00Z) or an age (30m, 12h, 7d)",
  );
}

/** Opens the output file before anything is read, so an unwritable path fails with nothing written. */
async function openOutput(
  path: string,
): Promise<{ stream: WriteStream; commit(): Promise<void>; abort(): Promise<void> }> {
  const target = resolve(path);
  const partial = `${target}.partial`;
  try {
    await (await open(partial, "w")).close();
  } catch (error) {
    throw new CliError("usage", `cannot write the export to ${target}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const stream = createWriteStream(partial);
  const finished = () =>
    new Promise<void>((done, fail) => stream.end((error?: Error | null) => (error ? fail(error) : done())));
  return {
    stream,
    async commit() {
      await finished();
      await rename(partial, target);
    },
    async abort() {
      await finished().catch(() => {});
      await rm(partial, { force: true });
    },
  };
}

/** `waygate audit verify|export`: checks the tamper-evident audit chain and exports the trail with it. */
export function registerAuditCommands(program: Command, io: CliIo): void {
  const audit = program.command("audit").description("verify and export the tamper-evident audit trail");

  audit
    .command("verify")
    .description("walk the audit chain and name the first edited, deleted, inserted or reordered row")
    .action(async (_options: unknown, command: Command) => {
      const context = contextOf(command, io);
      const config = await context.loadConfig();
      // Verification reads only: it never migrates, and says which migration is missing instead.
      const store = await openStoreFor(config, io.cwd, { migrate: false });
      try {
        const report = await store.verifyAudit();
        if (!report.ok) {
          if (context.output.json) context.output.result("", report);
          const problem = report.problem!;
          throw new CliError(
            "unhealthy",
            `audit chain broken at row ${problem.id} (${problem.kind}): ${problem.message}`,
          );
        }
        const parts = [`${report.verified} row(s) verified`];
        if (report.unchained > 0)
          parts.push(`${report.unchained} older row(s) written before the chain (not covered)`);
        if (report.startedFrom) parts.push(`from the retention anchor at row ${report.startedFrom.id}`);
        if (report.head) parts.push(`head at row ${report.head.id}`);
        context.output.result(`audit chain intact: ${parts.join(", ")}`, report);
      } finally {
        await store.close();
      }
    });

  audit
    .command("export")
    .description("print the audit trail as JSON lines, oldest first, each row with its chain value")
    .option("--since <when>", "only rows at or after this ISO date or age (30m, 12h, 7d)", (value) =>
      parseSince(value),
    )
    .addOption(new Option("--format <format>", "output format").choices(["jsonl"]).default("jsonl"))
    .option("-o, --out <file>", "write to this file instead of standard output")
    .action(async (options: { since?: Date; out?: string }, command: Command) => {
      const context = contextOf(command, io);
      const config = await context.loadConfig();
      const output = options.out ? await openOutput(options.out) : undefined;
      const write = (line: string) => (output ? output.stream.write(line) : io.stdout.write(line));
      let rows = 0;
      try {
        const store = await openStoreFor(config, io.cwd, { migrate: false });
        try {
          for await (const row of store.exportAudit(options.since)) {
            write(`${JSON.stringify(row)}\n`);
            rows += 1;
          }
        } finally {
          await store.close();
        }
        await output?.commit();
      } catch (error) {
        await output?.abort();
        throw error;
      }
      if (options.out) context.output.progress(`exported ${rows} audit row(s) to ${resolve(options.out)}`);
    });
}
