// Builds another commit of this repository in a temp worktree, so that a benchmark can measure it beside the
// working tree in the same run (`BENCH_BASELINE=<git ref>`). Shared by the packages' benchmarks; not published.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A built checkout of `ref`; `remove()` deletes the worktree. */
export interface Baseline {
  ref: string;
  dir: string;
  remove(): void;
}

/** Checks out `ref` in a temp worktree, installs from its lockfile and builds `filter` (a turbo filter). */
export function prepareBaseline(ref: string, filter: string): Baseline {
  const git = (...args: string[]) => execFileSync("git", args, { encoding: "utf8" }).trim();
  const root = git("rev-parse", "--show-toplevel");
  const dir = mkdtempSync(join(tmpdir(), "waygate-bench-base-"));
  git("-C", root, "worktree", "add", "--detach", dir, ref);
  const remove = () => {
    git("-C", root, "worktree", "remove", "--force", dir);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const run = (args: string[]) =>
      execFileSync("pnpm", args, { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
    console.error(`baseline ${ref}: installing and building ${filter} in ${dir}`);
    run(["install", "--frozen-lockfile", "--prefer-offline"]);
    run(["exec", "turbo", "run", "build", `--filter=${filter}`, "--output-logs=errors-only"]);
    return { ref, dir, remove };
  } catch (error) {
    remove();
    throw error;
  }
}
