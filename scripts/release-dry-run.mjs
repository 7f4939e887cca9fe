#!/usr/bin/env node
// pnpm release:dry-run: what `pnpm release` would publish, installed as a user would install it. Packs every
// publishable workspace package (`pnpm pack` turns `workspace:^` into real ranges, as `pnpm publish` does), installs
// all the tarballs together in a fresh folder outside the workspace (the @waygate/* names pinned to the tarballs,
// everything else from the registry; `--prefer-offline` reuses a warm pnpm store, a cold machine downloads), then
// imports and requires every entry point of every package's exports map and runs `waygate --version`.
// Run it after `pnpm build`. Exits non-zero, naming the package and entry, on the first failure.
// `--repository https://github.com/OWNER/REPO` (the release workflow passes its own) also requires every package's
// `repository.url` to name that repository: npm refuses a provenance statement for a package that names another.
// The workflow fills them in first with `scripts/set-repository.mjs`.
//   WAYGATE_DRY_RUN_KEEP=1 keeps the temp folder (its path is printed).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isGitHubRepository, publishablePackages, repositoryOf } from "./publishable-packages.mjs";

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

/** The subpaths of an exports map that are code (not `./package.json`), with the conditions each offers. */
function entryPoints(manifest) {
  const exportsMap = manifest.exports ?? { ".": manifest.main };
  return Object.entries(exportsMap)
    .filter(([subpath]) => subpath !== "./package.json" && !subpath.includes("*"))
    .map(([subpath, target]) => ({
      specifier: subpath === "." ? manifest.name : `${manifest.name}/${subpath.slice(2)}`,
      import: typeof target === "string" || "import" in target || "default" in target,
      require: typeof target === "object" && target !== null && "require" in target,
    }));
}

function run(command, args, cwd) {
  return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

const repositoryFlag = process.argv.indexOf("--repository");
const repository = repositoryFlag === -1 ? undefined : process.argv[repositoryFlag + 1];
if (repositoryFlag !== -1 && !isGitHubRepository(repository)) {
  console.error("--repository needs a URL such as https://github.com/OWNER/REPO");
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), "waygate-release-dry-run-"));
let failed = false;
try {
  const packages = publishablePackages();
  if (packages.length === 0) throw new Error("no publishable package found under packages/ and apps/");
  const unnamed = packages.filter(({ manifest }) => repositoryOf(manifest) !== repository);
  if (repository !== undefined && unnamed.length > 0) {
    throw new Error(
      `npm provenance needs repository.url "${repository}" (with "directory") in the package.json of ${unnamed
        .map(({ manifest }) => manifest.name)
        .join(", ")}`,
    );
  }
  const missing = packages.filter(({ manifest }) => repositoryOf(manifest) === undefined);
  if (missing.length > 0) {
    console.log(
      `warning: no repository.url in ${missing.map(({ manifest }) => manifest.name).join(", ")}; ` +
        "publishing with provenance needs it (the release workflow checks it with --repository)",
    );
  }
  const tarballs = join(work, "tarballs");
  mkdirSync(tarballs);
  const tarballOf = {};
  for (const { folder, manifest } of packages) {
    const before = new Set(readdirSync(tarballs));
    run("pnpm", ["pack", "--pack-destination", tarballs], folder);
    const created = readdirSync(tarballs).filter((name) => !before.has(name));
    if (created.length !== 1)
      throw new Error(`pnpm pack of ${manifest.name} made ${created.length} tarballs`);
    tarballOf[manifest.name] = join(tarballs, created[0]);
    console.log(`packed ${manifest.name}@${manifest.version} -> ${created[0]}`);
  }
  console.log(`packed ${packages.length} packages in ${elapsed()}`);

  // A consumer project outside the workspace (tmpdir has no pnpm-workspace.yaml above it).
  const app = join(work, "app");
  mkdirSync(app);
  const tarballSpecs = Object.fromEntries(
    Object.entries(tarballOf).map(([name, file]) => [name, `file:${file}`]),
  );
  writeFileSync(
    join(app, "package.json"),
    `${JSON.stringify(
      {
        name: "waygate-release-dry-run",
        private: true,
        type: "module",
        dependencies: tarballSpecs,
        // The packages depend on each other by version range (not yet on npm): point those at the tarballs too.
        pnpm: { overrides: tarballSpecs },
      },
      null,
      2,
    )}\n`,
  );
  run(
    "pnpm",
    ["install", "--prefer-offline", "--no-frozen-lockfile", "--config.confirmModulesPurge=false"],
    app,
  );
  console.log(`installed the tarballs together in ${elapsed()}`);

  for (const { manifest } of packages) {
    for (const entry of entryPoints(manifest)) {
      const forms = [];
      if (entry.import) {
        run("node", ["--input-type=module", "-e", `await import(${JSON.stringify(entry.specifier)});`], app);
        forms.push("import");
      }
      if (entry.require) {
        run("node", ["-e", `require(${JSON.stringify(entry.specifier)});`], app);
        forms.push("require");
      }
      console.log(`ok ${entry.specifier} (${forms.join(", ")})`);
    }
  }

  const gateway = packages.find(({ manifest }) => manifest.name === "@waygate/gateway");
  if (!gateway) throw new Error("@waygate/gateway is not among the publishable packages");
  const version = run(join(app, "node_modules", ".bin", "waygate"), ["--version"], app).trim();
  if (version !== gateway.manifest.version) {
    throw new Error(`waygate --version printed '${version}', expected '${gateway.manifest.version}'`);
  }
  console.log(`ok waygate --version: ${version}`);
  console.log(`release dry run passed in ${elapsed()}`);
} catch (error) {
  failed = true;
  const detail = error && typeof error === "object" && "stderr" in error ? `\n${error.stderr}` : "";
  console.error(`release dry run failed: ${error instanceof Error ? error.message : error}${detail}`);
} finally {
  if (process.env.WAYGATE_DRY_RUN_KEEP === "1") console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
