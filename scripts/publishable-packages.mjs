// The workspace packages `changeset publish` would publish (not private), shared by the release scripts.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root folder. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));

/** Every package under `root`'s packages/ and apps/ that is not private, with its folder and manifest. */
export function publishablePackages(root = repoRoot) {
  const folders = ["packages", "apps"].flatMap((group) =>
    readdirSync(join(root, group), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(root, group, entry.name)),
  );
  return folders
    .filter((folder) => {
      try {
        return readJson(join(folder, "package.json")).private !== true;
      } catch {
        return false;
      }
    })
    .map((folder) => ({ folder, manifest: readJson(join(folder, "package.json")) }));
}

/** The repository URL a manifest names, without `git+` and `.git`, or undefined. */
export function repositoryOf(manifest) {
  const url = typeof manifest.repository === "string" ? manifest.repository : manifest.repository?.url;
  return url?.replace(/^git\+/, "").replace(/\.git$/, "");
}

/** True for https://github.com/OWNER/REPO. */
export const isGitHubRepository = (url) => /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/.test(url ?? "");
