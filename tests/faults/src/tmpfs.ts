import { execFile } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A tmpfs mounted for one test; `unmount` is safe to call twice. */
export interface Tmpfs {
  path: string;
  unmount(): Promise<void>;
}

/**
 * Mounts a small tmpfs at `path` (needs root or CAP_SYS_ADMIN, as in CI's container). A real filesystem
 * is the only honest way to get ENOSPC and EROFS from SQLite: `prlimit --fsize` kills the writer with
 * SIGXFSZ instead of returning an error, and chmod does not stop root.
 */
export async function mountTmpfs(
  path: string,
  options: { sizeBytes: number; readOnly?: boolean },
): Promise<Tmpfs> {
  await mkdir(path, { recursive: true });
  const flags = [`size=${options.sizeBytes}`, "mode=0777", ...(options.readOnly ? ["ro"] : [])];
  await run("mount", ["-t", "tmpfs", "-o", flags.join(","), "waygate-faults", path]);
  let mounted = true;
  return {
    path,
    async unmount() {
      if (!mounted) return;
      mounted = false;
      await run("umount", ["-l", path]);
      await rm(path, { recursive: true, force: true });
    },
  };
}
