import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const REPO = fileURLToPath(new URL("../../..", import.meta.url));

/** What npm (and so `npx -y <server>`) prints on stderr when started in `cwd` with an upstream's environment. */
async function npmStderr(cwd: string): Promise<string> {
  const { stderr } = await run("npm", ["config", "list", "--json"], { cwd, env: getDefaultEnvironment() });
  return stderr;
}

describe("the environment of npx-launched upstreams", () => {
  it("reads no unknown project config when the gateway runs from this checkout", async () => {
    expect(await npmStderr(REPO)).not.toContain("Unknown project config");
  });

  it("would warn on every start with a pnpm key in a project .npmrc (why the repo keeps them in pnpm-workspace.yaml)", async () => {
    const project = mkdtempSync(join(tmpdir(), "waygate-npmrc-"));
    try {
      writeFileSync(join(project, "package.json"), "{}");
      writeFileSync(join(project, ".npmrc"), "auto-install-peers=true\n");
      expect(await npmStderr(project)).toContain('Unknown project config "auto-install-peers"');
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
