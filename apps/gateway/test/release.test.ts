import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { assertHostVersionSupported, satisfiesVersionRange } from "@waygate/plugin-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO_ROOT } from "./dockerfile.js";

const run = promisify(execFile);

// biome-ignore lint/suspicious/noExplicitAny: package manifests and the workflow are untyped JSON/YAML.
type Json = Record<string, any>;

const readJson = async (path: string): Promise<Json> => JSON.parse(await readFile(path, "utf8")) as Json;

/** Every workspace package folder (relative to the root), as pnpm-workspace.yaml lists them. */
async function workspaceFolders(): Promise<string[]> {
  const folders: string[] = ["fixtures"];
  for (const group of ["packages", "apps", "examples", "tests"]) {
    for (const entry of await readdir(join(REPO_ROOT, group), { withFileTypes: true })) {
      if (entry.isDirectory()) folders.push(join(group, entry.name));
    }
  }
  return folders;
}

describe("the first release through changesets", () => {
  let clone: string;
  const versionsAfter = new Map<string, Json>();

  // `changeset version` in a copy of the workspace's manifests and pending changesets: what the release pull
  // request will contain. Only package.json files are needed for the plan, so nothing is built or installed.
  beforeAll(async () => {
    clone = await mkdtemp(join(tmpdir(), "waygate-version-"));
    for (const file of ["package.json", "pnpm-workspace.yaml"])
      await cp(join(REPO_ROOT, file), join(clone, file));
    await cp(join(REPO_ROOT, ".changeset"), join(clone, ".changeset"), { recursive: true });
    for (const folder of await workspaceFolders()) {
      const manifest = join(REPO_ROOT, folder, "package.json");
      if (!(await readFile(manifest, "utf8").catch(() => null))) continue;
      await mkdir(join(clone, folder), { recursive: true });
      await cp(manifest, join(clone, folder, "package.json"));
    }
    await run("git", ["init", "--quiet"], { cwd: clone });
    await run(join(REPO_ROOT, "node_modules", ".bin", "changeset"), ["version"], { cwd: clone });
    for (const folder of await workspaceFolders()) {
      const manifest = await readJson(join(clone, folder, "package.json")).catch(() => null);
      if (manifest) versionsAfter.set(manifest.name as string, manifest);
    }
  }, 60_000);

  afterAll(async () => {
    await rm(clone, { recursive: true, force: true });
  });

  it("takes every publishable package from 0.0.0 to 0.1.0 and leaves the private ones alone", async () => {
    const publishable = [...versionsAfter.values()].filter((manifest) => manifest.private !== true);
    expect(publishable.map((manifest) => manifest.name).sort()).toEqual([
      "@waygate/bridge-bigquery",
      "@waygate/bridge-firebase",
      "@waygate/bridge-github",
      "@waygate/console",
      "@waygate/core",
      "@waygate/errors",
      "@waygate/gateway",
      "@waygate/plugin-sdk",
      "@waygate/server",
    ]);
    for (const manifest of publishable)
      expect(`${manifest.name}@${manifest.version}`).toBe(`${manifest.name}@0.1.0`);
    for (const manifest of versionsAfter.values()) {
      if (manifest.private === true)
        expect(`${manifest.name}@${manifest.version}`).toBe(`${manifest.name}@0.0.0`);
    }
    // The pending changesets are consumed into each package's CHANGELOG.
    const changelog = await readFile(join(clone, "packages", "core", "CHANGELOG.md"), "utf8");
    expect(changelog).toMatch(/^## 0\.1\.0$/m);
    expect((await readdir(join(clone, ".changeset"))).filter((name) => name.endsWith(".md"))).toEqual([
      "README.md",
    ]);
  });

  it("a released 0.1.0 host accepts the SDK line the plugin-sdk README tells plugin authors to declare", async () => {
    const host = versionsAfter.get("@waygate/gateway")?.version as string;
    const sdk = versionsAfter.get("@waygate/plugin-sdk")?.version as string;
    const readme = await readFile(join(REPO_ROOT, "packages", "plugin-sdk", "README.md"), "utf8");
    const hostRange = /hostVersions: "([^"]+)"/.exec(readme)?.[1];
    const peerRange = /"@waygate\/plugin-sdk": "([^"]+)"/.exec(readme)?.[1];
    expect(hostRange).toBe(">=0.1.0 <1.0.0");
    expect(peerRange).toBeDefined();
    expect(() => assertHostVersionSupported("weather", hostRange, host)).not.toThrow();
    expect(satisfiesVersionRange(sdk, peerRange as string)).toBe(true);
    expect(satisfiesVersionRange(sdk, "^0.1.0")).toBe(true);
  });

  it("the released host still refuses a plugin whose range starts at the next line", () => {
    const host = versionsAfter.get("@waygate/gateway")?.version as string;
    expect(() => assertHostVersionSupported("weather", ">=0.2.0 <1.0.0", host)).toThrow(
      "Plugin 'weather' supports host versions '>=0.2.0 <1.0.0' but this host is 0.1.0",
    );
  });

  it("keeps @waygate/server and @waygate/gateway on one version (a fixed group)", () => {
    expect(versionsAfter.get("@waygate/server")?.version).toBe(
      versionsAfter.get("@waygate/gateway")?.version,
    );
  });
});

describe("the release workflow", () => {
  let workflow: Json;
  let rootManifest: Json;

  beforeAll(async () => {
    workflow = parse(await readFile(join(REPO_ROOT, ".github", "workflows", "release.yml"), "utf8")) as Json;
    rootManifest = await readJson(join(REPO_ROOT, "package.json"));
  });

  const steps = (job: string): Json[] => workflow.jobs[job].steps as Json[];
  const stepUsing = (job: string, action: string): Json => {
    const step = steps(job).find((candidate) => String(candidate.uses ?? "").startsWith(`${action}@`));
    if (!step) throw new Error(`job ${job} has no step using ${action}`);
    return step;
  };

  it("versions or publishes with the changesets action, calling root scripts that exist", () => {
    const changesets = stepUsing("release", "changesets/action");
    expect(changesets.with.version).toBe("pnpm version-packages");
    expect(changesets.with.publish).toBe("pnpm release");
    expect(rootManifest.scripts["version-packages"]).toBe("changeset version");
    expect(rootManifest.scripts.release).toMatch(/changeset publish$/);
    // Every `pnpm <script>` the job runs is a root script (install and build are pnpm's and turbo's own).
    const scripts = steps("release")
      .map((step) => String(step.run ?? ""))
      .flatMap((line) => [...line.matchAll(/\bpnpm ([\w:-]+)/g)].map((match) => match[1] as string))
      .filter((name) => name !== "install");
    expect(scripts).toContain("release:dry-run");
    for (const name of scripts) expect(Object.keys(rootManifest.scripts)).toContain(name);
  });

  it("publishes to npm with provenance: an OIDC token and NPM_CONFIG_PROVENANCE", () => {
    expect(workflow.permissions).toEqual({ contents: "read" });
    expect(workflow.jobs.release.permissions["id-token"]).toBe("write");
    const changesets = stepUsing("release", "changesets/action");
    expect(changesets.env.NPM_CONFIG_PROVENANCE).toBe("true");
    expect(changesets.env.NODE_AUTH_TOKEN).toBe("${{ secrets.NPM_TOKEN }}");
    const node = stepUsing("release", "actions/setup-node");
    expect(node.with["registry-url"]).toBe("https://registry.npmjs.org");
    expect(workflow.on.push.branches).toEqual(["main"]);
    expect(workflow.concurrency["cancel-in-progress"]).toBe(false);
  });

  it("builds and pushes the image from deployment/Dockerfile after a publish, printing and attesting its digest", () => {
    const image = workflow.jobs.image;
    expect(image.needs).toBe("release");
    expect(image.if).toBe("needs.release.outputs.published == 'true'");
    expect(workflow.jobs.release.outputs.published).toBe("${{ steps.changesets.outputs.published }}");
    const build = stepUsing("image", "docker/build-push-action");
    expect(build.with).toMatchObject({ context: ".", file: "deployment/Dockerfile", push: true });
    expect(build.with.tags).toContain("${{ needs.release.outputs.version }}");
    const printed = steps("image").find((step) =>
      String(step.run ?? "").includes("steps.build.outputs.digest"),
    );
    expect(printed?.run).toContain("GITHUB_STEP_SUMMARY");
    const attest = stepUsing("image", "actions/attest-build-provenance");
    expect(attest.with["subject-digest"]).toBe("${{ steps.build.outputs.digest }}");
    expect(image.permissions).toMatchObject({
      "id-token": "write",
      packages: "write",
      attestations: "write",
    });
  });

  it("checks before publishing that every package names the repository, as npm provenance requires", () => {
    const dryRun = steps("release").find((step) => String(step.run ?? "").startsWith("pnpm release:dry-run"));
    expect(dryRun?.run).toBe(
      'pnpm release:dry-run --repository "https://github.com/${{ github.repository }}"',
    );
  });

  it("fills in each package's repository from the workflow's own before the dry run checks it", () => {
    const runs = steps("release").map((step) => String(step.run ?? ""));
    const fill = runs.indexOf(
      'node scripts/set-repository.mjs --repository "https://github.com/${{ github.repository }}"',
    );
    const check = runs.findIndex((line) => line.startsWith("pnpm release:dry-run"));
    expect(fill).toBeGreaterThan(-1);
    expect(fill).toBeLessThan(check);
  });

  it("set-repository names the repository in every publishable package, once, and leaves private ones alone", async () => {
    const root = await mkdtemp(join(tmpdir(), "waygate-set-repository-"));
    try {
      for (const folder of await workspaceFolders()) {
        const manifest = join(REPO_ROOT, folder, "package.json");
        if (!(await readFile(manifest, "utf8").catch(() => null))) continue;
        await mkdir(join(root, folder), { recursive: true });
        await cp(manifest, join(root, folder, "package.json"));
      }
      const script = join(REPO_ROOT, "scripts", "set-repository.mjs");
      const url = "https://github.com/acme/waygate";
      const first = await run("node", [script, "--repository", url, "--root", root]);
      const after = new Map<string, Json>();
      for (const folder of await workspaceFolders()) {
        const manifest = await readJson(join(root, folder, "package.json")).catch(() => null);
        if (manifest) after.set(folder, manifest);
      }
      const published = [...after].filter(
        ([folder, m]) => m.private !== true && /^(packages|apps)\//.test(folder),
      );
      expect(published.length).toBeGreaterThan(5);
      for (const [folder, manifest] of published) {
        expect(manifest.repository).toEqual({ type: "git", url: `git+${url}.git`, directory: folder });
        expect(first.stdout).toContain(`${manifest.name} -> ${url}`);
      }
      for (const [, manifest] of [...after].filter(([, m]) => m.private === true)) {
        expect(manifest.repository).toBeUndefined();
      }
      // A second run changes nothing; another repository is refused, naming the package.
      expect((await run("node", [script, "--repository", url, "--root", root])).stdout).toBe("");
      const other = await run("node", [
        script,
        "--repository",
        "https://github.com/fork/waygate",
        "--root",
        root,
      ]).catch((error: { code: number; stderr: string }) => error);
      expect(other).toMatchObject({
        code: 1,
        stderr: expect.stringContaining("@waygate/core names https://github.com/acme/waygate"),
      });
      const bad = await run("node", [script, "--repository", "github.com/acme", "--root", root]).catch(
        (error: { code: number; stderr: string }) => error,
      );
      expect(bad).toMatchObject({
        code: 2,
        stderr: expect.stringContaining("https://github.com/OWNER/REPO"),
      });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("the dry run refuses a --repository that is not a GitHub URL with exit 2", async () => {
    const result = await run("node", [
      join(REPO_ROOT, "scripts", "release-dry-run.mjs"),
      "--repository",
      "nope",
    ]).catch((error: { code: number; stderr: string }) => error);
    expect(result).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("https://github.com/OWNER/REPO"),
    });
  });

  it("the dry run script is wired into the root scripts and .ci/run", async () => {
    expect(rootManifest.scripts["release:dry-run"]).toBe("node scripts/release-dry-run.mjs");
    const ci = await readFile(join(REPO_ROOT, ".ci", "run"), "utf8");
    expect(ci).toMatch(/^pnpm release:dry-run$/m);
    expect(await readFile(join(REPO_ROOT, "scripts", "release-dry-run.mjs"), "utf8")).toContain(
      "--prefer-offline",
    );
  });
});
