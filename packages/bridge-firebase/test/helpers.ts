import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The text of a tool result's first block. */
export const textOf = (result: { content: unknown[] }) => (result.content[0] as { text: string }).text;

const TSX_LOADER = import.meta.resolve("tsx");

/** The Firebase look-alike fixture as a stdio command, with extra environment passed through `env`. */
export function firebaseFixtureCommand(env: Record<string, string>): string[] {
  const fixture = fileURLToPath(new URL("../../../fixtures/vendor-firebase.ts", import.meta.url));
  return [
    "env",
    ...Object.entries(env).map(([key, value]) => `${key}=${value}`),
    process.execPath,
    "--import",
    TSX_LOADER,
    fixture,
  ];
}

/**
 * Writes a service-account key file that parses like a real one but belongs to no account: enough for
 * Google's client libraries to start offline, useless against Google Cloud.
 */
export function writeThrowawayServiceAccount(dir: string, project: string): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const path = join(dir, "service-account.json");
  writeFileSync(
    path,
    JSON.stringify({
      type: "service_account",
      project_id: project,
      private_key_id: "throwaway",
      private_key: privateKey.export({ type: "pkcs8", format: "pem" }),
      client_email: `waygate-test@${project}.iam.gserviceaccount.com`,
      client_id: "0",
      token_uri: "http://127.0.0.1:9/token",
    }),
  );
  return path;
}
