import type { Command } from "commander";
import { contextOf } from "../context.js";
import type { CliIo } from "../io.js";
import { openStoreFor } from "../with-store.js";

/** `waygate migrate`: applies pending database migrations and says which. */
export function registerMigrateCommand(program: Command, io: CliIo): void {
  program
    .command("migrate")
    .description("apply pending database migrations")
    .action(async (_options: unknown, command: Command) => {
      const context = contextOf(command, io);
      const config = await context.loadConfig();
      const store = await openStoreFor(config, io.cwd, { migrate: false });
      try {
        const applied = await store.migrate();
        // SQL cannot encrypt: upstream secrets stored in clear by an older version are encrypted here, with the key.
        const sealed = await store.sealSecrets();
        const text =
          applied.length === 0
            ? "database is up to date (no migrations pending)"
            : `applied ${applied.length} migration(s): ${applied.join(", ")}`;
        context.output.result(
          sealed === 0 ? text : `${text}; encrypted the stored secrets of ${sealed} server(s)`,
          { database: redactUrl(config.database.url), applied, sealedServers: sealed },
        );
      } finally {
        await store.close();
      }
    });
}

/** A database URL without credentials, for output. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]authToken=)[^&]*/i, "$1***").replace(/\/\/[^@/]*@/, "//***@");
}
