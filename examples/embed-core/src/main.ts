// Starts the example service: DATABASE_URL, WAYGATE_SECRET_KEY and PORT from the environment.
// `--create-key <name>` prints a new key with both scopes before starting.
import { createAuditWriter, createRepositories, openDatabase } from "@waygate/core";
import { createService } from "./service.js";

const secretKey = process.env.WAYGATE_SECRET_KEY;
if (!secretKey) {
  console.error("Set WAYGATE_SECRET_KEY (at least 32 characters, e.g. `openssl rand -hex 32`).");
  process.exit(1);
}
const db = await openDatabase({ url: process.env.DATABASE_URL });
const repos = createRepositories(db, { secretKey });
const audit = createAuditWriter(db, { secretKey });

const keyName = process.argv.indexOf("--create-key");
if (keyName !== -1) {
  const { plaintext } = await repos.apiKeys.create({
    name: process.argv[keyName + 1] ?? "example",
    scopes: ["tools:call", "admin"],
  });
  console.log(`New API key (shown once): ${plaintext}`);
}

const server = createService({ repos, audit });
server.listen(Number(process.env.PORT ?? 8080), "127.0.0.1", () => {
  console.log("embed-core example listening", server.address());
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.close(async () => {
      await audit.close();
      db.close();
    });
  });
}
