#!/usr/bin/env node
// node scripts/set-repository.mjs --repository https://github.com/OWNER/REPO [--root DIR]
// Writes `repository` ({ type, url, directory }) into the package.json of every publishable package that has none,
// as npm provenance requires. The release workflow runs it with its own repository, so the packages name the
// repository they are built and published from, and the "Version Packages" pull request commits the field.
// A package that already names another repository is refused (exit 1), since npm would refuse its provenance;
// a package that names this one is left as it is. A bad or missing --repository exits 2.
import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { isGitHubRepository, publishablePackages, repoRoot, repositoryOf } from "./publishable-packages.mjs";

const option = (name) => {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
};
const repository = option("--repository");
if (!isGitHubRepository(repository)) {
  console.error("set-repository: --repository needs a URL such as https://github.com/OWNER/REPO");
  process.exit(2);
}
const root = option("--root") ?? repoRoot;

const packages = publishablePackages(root);
const foreign = packages.filter(({ manifest }) => ![undefined, repository].includes(repositoryOf(manifest)));
if (foreign.length > 0) {
  for (const { manifest } of foreign) {
    console.error(
      `set-repository: ${manifest.name} names ${repositoryOf(manifest)}, but this release runs in ${repository}; ` +
        "npm refuses provenance for a package that names another repository. Fix its package.json by hand.",
    );
  }
  process.exit(1);
}
for (const { folder, manifest } of packages) {
  if (repositoryOf(manifest) === repository) continue;
  manifest.repository = {
    type: "git",
    url: `git+${repository}.git`,
    directory: relative(root, folder).split("\\").join("/"),
  };
  writeFileSync(join(folder, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`set-repository: ${manifest.name} -> ${repository} (${manifest.repository.directory})`);
}
