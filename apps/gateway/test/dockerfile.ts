import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root and the deployment folder, from this file's place. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const DEPLOYMENT = join(REPO_ROOT, "deployment");

/** One stage of a Dockerfile: its base image, name and instructions (continuation lines joined). */
export interface DockerStage {
  from: string;
  name: string | undefined;
  instructions: { keyword: string; args: string }[];
}

/** Splits a Dockerfile into stages; enough of the syntax for checking our own file. */
export function parseDockerfile(text: string): { args: Record<string, string>; stages: DockerStage[] } {
  const lines = text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));
  const args: Record<string, string> = {};
  const stages: DockerStage[] = [];
  for (const line of lines) {
    const [, keyword = "", rest = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === "FROM") {
      const [image = "", , name] = rest.split(/\s+/);
      const from = image.replace(/\$\{(\w+)\}/g, (_, arg: string) => args[arg] ?? "");
      stages.push({ from, name, instructions: [] });
    } else if (upper === "ARG" && stages.length === 0) {
      const [name = "", value = ""] = rest.split("=");
      args[name] = value;
    } else {
      stages.at(-1)?.instructions.push({ keyword: upper, args: rest });
    }
  }
  return { args, stages };
}

/** The `KEY=value` pairs set by ENV instructions of a stage. */
export function stageEnv(stage: DockerStage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of stage.instructions.filter((instruction) => instruction.keyword === "ENV")) {
    for (const match of args.matchAll(/(\w+)=(\S+)/g)) env[match[1] as string] = match[2] as string;
  }
  return env;
}

/** Reads and parses deployment/Dockerfile. */
export async function readDockerfile() {
  return parseDockerfile(await readFile(join(DEPLOYMENT, "Dockerfile"), "utf8"));
}
