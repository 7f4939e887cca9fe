import type { PinKind, PinOutdatedError, PinRecord, PinStatus } from "@waygate/core";
import { type Command, Option } from "commander";
import { CliError, isWaygateError } from "../../errors.js";
import { contextOf } from "../context.js";
import type { CliIo } from "../io.js";
import type { Column } from "../table.js";
import { withStore } from "../with-store.js";

const KINDS = ["tool", "prompt", "resource_template"] as const;
const STATUSES = ["approved", "new", "changed", "removed", "rejected"] as const;

const pinColumns: Column<PinRecord>[] = [
  { header: "server", value: (pin) => pin.server },
  { header: "kind", value: (pin) => pin.kind },
  { header: "name", value: (pin) => pin.name },
  { header: "status", value: (pin) => pin.status },
  { header: "hash", value: (pin) => (pin.currentHash ?? pin.approvedHash ?? "").slice(0, 12) },
  { header: "updated", value: (pin) => pin.updatedAt.toISOString() },
];

/** The pins of a server that are not approved, as JSON-friendly diffs. */
function diffOf(pin: PinRecord) {
  return {
    server: pin.server,
    kind: pin.kind,
    name: pin.name,
    status: pin.status,
    approvedHash: pin.approvedHash,
    currentHash: pin.currentHash,
    approved: pin.approvedDefinition,
    current: pin.currentDefinition,
  };
}

/** Two definitions side by side, one line of pretty JSON each, changed lines marked. */
export function renderDiff(pin: PinRecord): string {
  const left =
    pin.approvedDefinition === null ? [] : JSON.stringify(pin.approvedDefinition, null, 2).split("\n");
  const right =
    pin.currentDefinition === null ? [] : JSON.stringify(pin.currentDefinition, null, 2).split("\n");
  const width = Math.max(8, ...left.map((line) => line.length));
  const rows = Math.max(left.length, right.length);
  const lines = [
    `${pin.server}/${pin.name} (${pin.kind}): ${pin.status}`,
    `  ${"approved".padEnd(width)}   now (${(pin.currentHash ?? "removed").slice(0, 12)})`,
  ];
  for (let i = 0; i < rows; i++) {
    const a = left[i] ?? "";
    const b = right[i] ?? "";
    lines.push(`${a === b ? " " : "!"} ${a.padEnd(width)} | ${b}`);
  }
  return `${lines.join("\n")}\n`;
}

/** `waygate pins list|diff|approve|reject`: review and decide on tool, prompt and template definitions. */
export function registerPinsCommands(program: Command, io: CliIo): void {
  const pins = program
    .command("pins")
    .description("review and approve the definitions upstream servers serve (definition pinning)");

  pins
    .command("list")
    .description("pins, newest state first; --pending for the ones awaiting a decision")
    .option("--server <name>", "only this server")
    .addOption(new Option("--status <status>", "only this status").choices(STATUSES))
    .option("--pending", "only new, changed, removed and rejected definitions")
    .action(async (options: { server?: string; status?: PinStatus; pending?: boolean }, command: Command) => {
      const context = contextOf(command, io);
      await withStore(context, async (store) => {
        const all = await store.pins.list({
          ...(options.server ? { server: options.server } : {}),
          ...(options.status ? { status: options.status } : {}),
        });
        const shown = options.pending ? all.filter((pin) => pin.status !== "approved") : all;
        const empty =
          all.length > 0 || options.pending
            ? "no pins match: nothing awaits a decision"
            : "no pins yet: a gateway pins what each server serves when it first lists it";
        context.output.table(shown, pinColumns, empty);
      });
    });

  pins
    .command("diff <server> [name]")
    .description("the approved and the current definition side by side, for each pending definition")
    .action(async (server: string, name: string | undefined, _options: unknown, command: Command) => {
      const context = contextOf(command, io);
      await withStore(context, async (store) => {
        const pending = (await store.pins.list({ server })).filter(
          (pin) => pin.status !== "approved" && (name === undefined || pin.name === name),
        );
        if (context.output.json) return context.output.result("", pending.map(diffOf));
        if (pending.length === 0) {
          context.output.result(`nothing of ${server}${name ? `/${name}` : ""} awaits a decision`, []);
          return;
        }
        for (const pin of pending) io.stdout.write(`${renderDiff(pin)}\n`);
      });
    });

  pins
    .command("approve [server] [name]")
    .description("approve one definition, every pending one of a server, or with --all every pending one")
    .addOption(new Option("--kind <kind>", "tool, prompt or resource_template").choices(KINDS))
    .option("--hash <hash>", "the hash you reviewed; refused if the server now serves something else")
    .option("--all", "every pending definition of every server")
    .action(
      async (
        server: string | undefined,
        name: string | undefined,
        options: { kind?: PinKind; hash?: string; all?: boolean },
        command: Command,
      ) => {
        const context = contextOf(command, io);
        if (!server && !options.all)
          throw new CliError("usage", "name a server (and optionally a definition), or give --all");
        if (server && options.all) throw new CliError("usage", "give a server or --all, not both");
        await withStore(context, async (store) => {
          const approved = await decide(io, async () =>
            store.pins.approve(
              {
                ...(server ? { server } : {}),
                ...(name ? { name } : {}),
                ...(options.kind ? { kind: options.kind } : {}),
                ...(options.hash
                  ? { hash: fullHash(options.hash, await store.pins.list(server ? { server } : {})) }
                  : {}),
              },
              "cli",
            ),
          );
          for (const touched of new Set(approved.map((pin) => pin.server))) {
            await store.recordEvent(
              "info",
              "pin.approved",
              `Approved definitions of server '${touched}' with the CLI`,
              {
                server: touched,
                definitions: approved
                  .filter((pin) => pin.server === touched)
                  .map((pin) => `${pin.kind}:${pin.name}`),
              },
            );
          }
          context.output.result(
            approved.length === 0
              ? "nothing awaited approval"
              : `approved ${approved.length} definition(s); running gateways serve them within their sync interval`,
            approved.map(diffOf),
          );
        });
      },
    );

  pins
    .command("reject <server> <name>")
    .description("reject a pending definition: it stays hidden until the server serves another one")
    .addOption(
      new Option("--kind <kind>", "tool, prompt or resource_template").choices(KINDS).default("tool"),
    )
    .option("--hash <hash>", "the hash you reviewed; refused if the server now serves something else")
    .action(
      async (server: string, name: string, options: { kind: PinKind; hash?: string }, command: Command) => {
        const context = contextOf(command, io);
        await withStore(context, async (store) => {
          const hash = options.hash ? fullHash(options.hash, await store.pins.list({ server })) : undefined;
          const rejected = await store.pins.reject(
            { server, kind: options.kind, name, ...(hash ? { hash } : {}) },
            "cli",
          );
          await store.recordEvent("info", "pin.rejected", `Rejected ${server}/${name} with the CLI`, {
            server,
            kind: options.kind,
            name,
          });
          context.output.result(`rejected ${server}/${name} (${options.kind})`, diffOf(rejected));
        });
      },
    );
}

/** Expands the abbreviated hash `pins list` shows to the full one, among the given pins' hashes. */
function fullHash(given: string, pins: readonly PinRecord[]): string {
  if (/^[0-9a-f]{64}$/.test(given)) return given;
  const matches = new Set(
    pins.flatMap((pin) => [pin.currentHash, pin.approvedHash]).filter((hash) => hash?.startsWith(given)),
  );
  if (!/^[0-9a-f]{6,63}$/.test(given) || matches.size !== 1) {
    throw new CliError(
      "usage",
      `--hash ${given} names no single definition: give the full hash or at least the 12 characters \`waygate pins list\` shows`,
    );
  }
  return [...matches][0] as string;
}

/** Runs a decision; a stale hash prints the definition the server serves now, then fails as a conflict. */
async function decide<T>(io: CliIo, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    // By name, not by class: the CLI loads @waygate/core (and its database driver) only when a command needs it.
    if (!isWaygateError(error) || error.name !== "PinOutdatedError") throw error;
    io.stderr.write(renderDiff((error as PinOutdatedError).current));
    throw new CliError("conflict", (error as Error).message, { cause: error });
  }
}
